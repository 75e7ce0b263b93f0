"""Attacks 8 and 9 of the sandbox issue, against the agent's real file tools: a directory
swapped for a symlink between the jail's check and the open, and a huge file read whole."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import tracemalloc
from pathlib import Path

from cts_agent_runner.jail import Jail
from cts_agent_runner.tools import ToolBox

TEST_FILE = "test/my_app/thing_test.exs"
ATTEMPTS = 3000
"""Enough for the race to be won many times over against a check-then-open (measured:
today's tools leaked within the first few hundred attempts)."""


def _toolbox(root: Path, read_cap: int = 64 * 1024) -> ToolBox:
    jail = Jail(root, writable=(TEST_FILE,), writable_dirs=("test/support",))
    return ToolBox(jail, read_cap=read_cap, write_cap=64 * 1024)


def _swap_forever(root: Path, outside: Path, stop: threading.Event) -> None:
    """``lib/notes`` flips between a real directory and a symlink to a directory outside."""
    real, link, spot = (
        root / "lib" / "notes.real",
        root / "lib" / "notes.link",
        root / "lib" / "notes",
    )
    while not stop.is_set():
        with contextlib.suppress(OSError):
            os.rename(real, spot)
            os.rename(spot, real)
            os.rename(link, spot)
            os.rename(spot, link)


async def test_read_file_never_follows_a_symlink_swapped_in_after_the_check(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    (root / "lib" / "notes.real").mkdir(parents=True)
    (root / "lib" / "notes.real" / "secret.txt").write_text("harmless notes\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("AGENT-RUNNER-SECRET\n")
    (root / "lib" / "notes.link").symlink_to(outside)
    box = _toolbox(root)
    stop = threading.Event()
    swapper = threading.Thread(target=_swap_forever, args=(root, outside, stop), daemon=True)
    swapper.start()
    leaked = 0
    answered = 0
    try:
        for _ in range(ATTEMPTS):
            result = await box.call("read_file", {"path": "lib/notes/secret.txt"})
            answered += not result.is_error
            leaked += "AGENT-RUNNER-SECRET" in result.text
    finally:
        stop.set()
        swapper.join(5)

    assert leaked == 0, f"read a file outside the workspace {leaked} time(s) in {ATTEMPTS}"
    assert answered > 0, "the real directory was never read: the race test proves nothing"


async def test_a_symlinked_file_or_directory_is_refused_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "lib").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("AGENT-RUNNER-SECRET\n")
    (root / "lib" / "out").symlink_to(outside)
    (root / "lib" / "secret.txt").symlink_to(outside / "secret.txt")
    (root / "lib" / "fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(root / "lib" / "fifo")
    box = _toolbox(root)

    for path in ("lib/out/secret.txt", "lib/secret.txt", "lib/fifo"):
        result = await asyncio.wait_for(box.call("read_file", {"path": path}), timeout=10)
        assert result.is_error, path
        assert "AGENT-RUNNER-SECRET" not in result.text


async def test_reading_a_300_megabyte_file_costs_the_cap_not_the_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "lib").mkdir(parents=True)
    huge = root / "lib" / "huge.ex"
    with huge.open("wb") as handle:
        line = b"x" * 99 + b"\n"
        block = line * 10_000  # 1 MB
        for _ in range(300):
            handle.write(block)
    box = _toolbox(root, read_cap=64 * 1024)

    tracemalloc.start()
    started = time.monotonic()
    try:
        result = await box.call("read_file", {"path": "lib/huge.ex"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert not result.is_error, result.text[:200]
    assert "cut at the read size cap" in result.text
    assert len(result.text.encode()) <= 64 * 1024 + 500
    assert peak < 8 * 1024 * 1024, f"reading cost {peak / 2**20:.0f} MiB"
    assert time.monotonic() - started < 60
