"""``run_process`` with real processes: timeout, cancellation and the output cap all leave
nothing running."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from cts_test_runner.process import plain, run_process
from cts_test_runner.process_tree import live_processes, marked

ENV = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}


def _alive(pid: int) -> bool:
    return pid in live_processes()


async def test_exit_code_and_interleaved_output(tmp_path: Path) -> None:
    script = "echo out; echo err >&2; exit 3"
    result = await run_process(
        plain(["sh", "-c", script], cwd=tmp_path, env=ENV), timeout_s=10, cap_bytes=1024
    )

    assert (result.exit_code, result.timed_out, result.truncated) == (3, False, False)
    assert result.output == "out\nerr\n"
    assert not result.succeeded


async def test_a_timeout_kills_the_group_and_a_setsid_escapee(tmp_path: Path) -> None:
    # `setsid sleep` leaves the process group, as the BEAM's port programs do.
    script = "setsid sleep 985 & sleep 984"
    started = time.monotonic()
    result = await run_process(
        plain(["sh", "-c", script], cwd=tmp_path, env=ENV), timeout_s=1, cap_bytes=1024
    )

    assert result.timed_out
    assert result.exit_code is None
    assert time.monotonic() - started < 8
    assert result.leftovers_killed >= 1
    assert marked(result.run_id, live_processes()) == set()
    assert not _alive(result.pid)


async def test_an_orphan_holding_the_output_pipe_neither_delays_nor_outlives_the_run(
    tmp_path: Path,
) -> None:
    """asyncio's ``Process.wait()`` only returns once every pipe is closed (3.11): an orphan
    that inherited stdout must not turn a finished run into a timeout."""
    started = time.monotonic()
    result = await run_process(
        plain(["sh", "-c", "setsid sleep 981 & echo done"], cwd=tmp_path, env=ENV),
        timeout_s=30,
        cap_bytes=1024,
    )

    assert time.monotonic() - started < 10
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.output == "done\n"
    assert result.leftovers_killed >= 1
    assert marked(result.run_id, live_processes()) == set()


async def test_cancellation_kills_everything(tmp_path: Path) -> None:
    marker_file = tmp_path / "started"
    task = asyncio.create_task(
        run_process(
            plain(
                ["sh", "-c", f"setsid sleep 983 & touch {marker_file}; sleep 982"],
                cwd=tmp_path,
                env=ENV,
            ),
            timeout_s=60,
            cap_bytes=1024,
        )
    )
    deadline = time.monotonic() + 10
    while not marker_file.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    run_ids = {
        line.split(b"=", 1)[1].decode()
        for pid in live_processes()
        for line in _environ(pid)
        if line.startswith(b"CTS_RUN_ID=") and b"983" in _cmdline(pid)
    }

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert len(run_ids) == 1
    assert marked(run_ids.pop(), live_processes()) == set()


async def test_output_is_capped_while_streaming(tmp_path: Path) -> None:
    script = "head -c 20000000 /dev/zero | tr '\\0' 'x'; echo; echo THE-END"
    result = await run_process(
        plain(["sh", "-c", script], cwd=tmp_path, env=ENV), timeout_s=60, cap_bytes=64 * 1024
    )

    assert result.exit_code == 0
    assert result.output_bytes > 20_000_000
    assert result.truncated
    assert len(result.output) < 64 * 1024 + 100
    assert result.output.rstrip().endswith("THE-END")


async def test_the_marker_is_the_only_variable_added(tmp_path: Path) -> None:
    result = await run_process(plain(["env"], cwd=tmp_path, env=ENV), timeout_s=10, cap_bytes=4096)

    names = sorted(line.split("=", 1)[0] for line in result.output.splitlines())
    assert names == ["CTS_RUN_ID", "LANG", "PATH"]


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
