"""Run one command as its own process group, with a timeout and a streaming output cap.

Every exit path (normal, timeout, cancellation) ends by killing everything the command
started (see ``process_tree``): the leader's group, its descendants, and anything carrying
this run's marker, so a hanging or daemonising test leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cts_runtime.logs import get_logger
from cts_test_runner.capped_output import CappedOutput
from cts_test_runner.process_tree import MARKER_NAME, kill_run

log = get_logger(__name__)

CHUNK = 64 * 1024
DRAIN_S = 5.0
"""After the kill, how long to wait for the leader's exit and for the pipe to close."""
POLL_S = 0.05


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
    run_id: str
    """The marker every process of this run carried in ``CTS_RUN_ID``."""
    leftovers_killed: int = 0
    """Processes outside the leader's group that had to be killed at the end."""

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


async def _exited(proc: asyncio.subprocess.Process) -> None:
    """Until the leader exits. Not ``proc.wait()``: on Python 3.11 that also waits for every
    pipe to close, so an orphan holding stdout would turn a finished run into a timeout.
    ``returncode`` is set by the child watcher as soon as the leader is reaped."""
    while proc.returncode is None:
        await asyncio.sleep(POLL_S)


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
    run_id = uuid.uuid4().hex
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env={**env, MARKER_NAME: run_id},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    sink = CappedOutput(cap_bytes)
    assert proc.stdout is not None
    pump = asyncio.create_task(_pump(proc.stdout, sink))
    timed_out = False
    leftovers = 0
    try:
        await asyncio.wait_for(_exited(proc), timeout=max(timeout_s, 0.001))
    except TimeoutError:
        timed_out = True
    finally:
        alive = proc.returncode is None
        leftovers = await asyncio.to_thread(kill_run, proc.pid, run_id, leader_alive=alive)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_exited(proc), timeout=DRAIN_S)
        # Something that escaped every net could hold the pipe open: do not wait forever.
        done, _ = await asyncio.wait({pump}, timeout=DRAIN_S)
        if not done:
            log.warning("output pipe still open after the kill", pid=proc.pid)
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
        run_id=run_id,
        leftovers_killed=leftovers,
    )
