"""Run one command as its own process group, with a timeout and a streaming output cap.

Every exit path (normal, timeout, cancellation) ends by killing everything the command
started (see ``process_tree``): the leader's group, its descendants, and anything carrying
this run's marker, so a hanging or daemonising test leaves nothing behind. Inside the sandbox
the PID namespace already guarantees that; the nets stay for ``CTS_SANDBOX=none``.

A command may also get a **report channel**: the write end of a pipe, inherited as a file
descriptor whose number the launch receives. Only what is written to it is the report; no
file path exists that a test could find and overwrite.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cts_runtime.logs import get_logger
from cts_test_runner.capped_output import CappedOutput
from cts_test_runner.process_tree import MARKER_NAME, kill_run
from cts_test_runner.sandbox.port import Launch

log = get_logger(__name__)

CHUNK = 64 * 1024
DRAIN_S = 5.0
"""After the kill, how long to wait for the leader's exit and for the pipe to close."""
POLL_S = 0.05
CHANNEL_CAP = 16 * 1024 * 1024
"""A report larger than this is cut (and so unreadable): 2,000 tests with long messages fit."""


@dataclass(frozen=True)
class Job:
    """One command: ``argv`` as the runner wrote it (what reports show), and how to start it,
    given the report channel's descriptor (``None`` without a channel)."""

    argv: tuple[str, ...]
    launch: Callable[[int | None], Launch]
    channel: bool = False


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
    channel: bytes = b""
    """What the command wrote to its report channel (capped at ``CHANNEL_CAP``)."""

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def plain(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> Job:
    """A job started as given: no sandbox, no channel (the runner's own tools, tests)."""
    return Job(tuple(argv), lambda _: Launch(tuple(argv), env, cwd))


class ProcessPort(Protocol):
    """How a runner starts processes; unit tests pass a fake."""

    async def __call__(self, job: Job, *, timeout_s: float, cap_bytes: int) -> ProcessResult: ...


async def _exited(proc: asyncio.subprocess.Process) -> None:
    """Until the leader exits. Not ``proc.wait()``: on Python 3.11 that also waits for every
    pipe to close, so an orphan holding stdout would turn a finished run into a timeout.
    ``returncode`` is set by the child watcher as soon as the leader is reaped."""
    while proc.returncode is None:
        await asyncio.sleep(POLL_S)


async def _pump(stream: asyncio.StreamReader, sink: CappedOutput) -> None:
    while chunk := await stream.read(CHUNK):
        sink.write(chunk)


async def _read_channel(fd: int) -> bytes:
    """Everything written to the channel until every writer is gone (capped)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    data = bytearray()
    try:
        while chunk := await reader.read(CHUNK):
            if len(data) <= CHANNEL_CAP:
                data += chunk[: CHANNEL_CAP + 1 - len(data)]
    finally:
        transport.close()
    return bytes(data)


async def run_process(job: Job, *, timeout_s: float, cap_bytes: int) -> ProcessResult:
    """stdout and stderr share one pipe so the report shows them in the order they came."""
    started = time.monotonic()
    run_id = uuid.uuid4().hex
    read_end, write_end = os.pipe() if job.channel else (None, None)
    try:
        launch = job.launch(write_end)
        proc = await asyncio.create_subprocess_exec(
            *launch.argv,
            cwd=launch.cwd,
            env={**launch.env, MARKER_NAME: run_id},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            pass_fds=() if write_end is None else (write_end,),
        )
    except BaseException:
        for fd in (read_end, write_end):
            if fd is not None:
                os.close(fd)
        raise
    if write_end is not None:
        os.close(write_end)  # the command holds the only write end now
    channel = None if read_end is None else asyncio.create_task(_read_channel(read_end))
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
        report = await _finish(pump, channel, proc.pid)
    return ProcessResult(
        argv=job.argv,
        exit_code=None if timed_out else proc.returncode,
        output=sink.render(),
        output_bytes=sink.total,
        truncated=sink.truncated,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
        pid=proc.pid,
        run_id=run_id,
        leftovers_killed=leftovers,
        channel=report,
    )


async def _finish(pump: asyncio.Task[None], channel: asyncio.Task[bytes] | None, pid: int) -> bytes:
    """Wait for the output pipe and the channel to close; something that escaped every net
    could hold them open, so never wait forever."""
    tasks: set[asyncio.Task[None] | asyncio.Task[bytes]] = {pump}
    if channel is not None:
        tasks.add(channel)
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_S)
    for task in pending:
        log.warning("a pipe is still open after the kill", pid=pid)
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, OSError):
        await pump
    if channel is None:
        return b""
    with contextlib.suppress(asyncio.CancelledError, OSError):
        return await channel
    return b""
