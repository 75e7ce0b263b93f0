"""Run one command as its own process group, with a timeout and a streaming output cap.

The group matters: ``mix`` starts the BEAM, which starts port programs; killing only the
leader would leave the rest running. Every exit path (normal, timeout, cancellation) ends with
a SIGKILL to the whole group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cts_test_runner.capped_output import CappedOutput

CHUNK = 64 * 1024
DRAIN_S = 5.0
"""After the group is killed, how long to wait for the pipe to close."""


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    exit_code: int | None
    output: str
    output_bytes: int
    truncated: bool
    timed_out: bool
    duration_s: float
    pid: int

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class ProcessPort(Protocol):
    """How a runner starts processes; unit tests pass a fake."""

    async def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout_s: float,
        cap_bytes: int,
    ) -> ProcessResult: ...


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


async def _pump(stream: asyncio.StreamReader, sink: CappedOutput) -> None:
    while chunk := await stream.read(CHUNK):
        sink.write(chunk)


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    cap_bytes: int,
) -> ProcessResult:
    """stdout and stderr share one pipe so the report shows them in the order they came."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    sink = CappedOutput(cap_bytes)
    assert proc.stdout is not None
    pump = asyncio.create_task(_pump(proc.stdout, sink))
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout=max(timeout_s, 0.001))
    except TimeoutError:
        timed_out = True
    finally:
        # The leader's pid is the group id (start_new_session); children it left behind die too.
        kill_group(proc.pid)
        if proc.returncode is None:
            await proc.wait()
        # A grandchild that escaped the group could hold the pipe open: do not wait forever.
        done, _ = await asyncio.wait({pump}, timeout=DRAIN_S)
        if not done:
            pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await pump
    return ProcessResult(
        argv=tuple(argv),
        exit_code=None if timed_out else proc.returncode,
        output=sink.render(),
        output_bytes=sink.total,
        truncated=sink.truncated,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
        pid=proc.pid,
    )
