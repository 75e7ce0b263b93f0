"""Removed workspaces leave their path at once and are deleted when no step runs (or later at
the latest after the bound); trash a stopped replica left is deleted at start."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from cts_git_committer.trash import Quiet, Trash


def _directory(path: Path) -> Path:
    (path / "lib").mkdir(parents=True)
    (path / "lib" / "a.ex").write_text("x")
    return path


async def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def _running(trash: Trash) -> AsyncIterator[None]:
    task = asyncio.create_task(trash.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_take_moves_the_directories_into_one_entry_and_empty_deletes_it(tmp_path: Path) -> None:
    workspace, gitdir = _directory(tmp_path / "ws"), _directory(tmp_path / "s.git")
    trash = Trash(tmp_path / "trash")
    assert trash.take(workspace, gitdir, tmp_path / "never-made")
    assert not workspace.exists()
    assert not gitdir.exists()
    [entry] = (tmp_path / "trash").iterdir()
    assert sorted(p.name for p in entry.iterdir()) == ["0", "1"]
    assert (entry / "0" / "lib" / "a.ex").read_text() == "x"
    assert trash.empty() == 1
    assert list((tmp_path / "trash").iterdir()) == []


def test_take_reports_a_failed_move_and_leaves_the_directory(tmp_path: Path) -> None:
    workspace = _directory(tmp_path / "ws")
    (tmp_path / "not-a-directory").write_text("")
    assert not Trash(tmp_path / "not-a-directory" / "trash").take(workspace)
    assert (workspace / "lib" / "a.ex").is_file()


async def test_the_trash_waits_for_the_running_step(tmp_path: Path) -> None:
    quiet = Quiet()
    trash = Trash(tmp_path / "trash", quiet, max_delay_s=60)
    async with _running(trash):
        with quiet.running():
            assert trash.take(_directory(tmp_path / "ws"))
            trash.pending()
            await asyncio.sleep(0.3)
            assert len(list((tmp_path / "trash").iterdir())) == 1
        await _until(lambda: not any((tmp_path / "trash").iterdir()))


async def test_a_replica_that_never_rests_still_empties_it_after_the_bound(tmp_path: Path) -> None:
    quiet = Quiet()
    trash = Trash(tmp_path / "trash", quiet, max_delay_s=0.2)
    with quiet.running():
        async with _running(trash):
            assert trash.take(_directory(tmp_path / "ws"))
            trash.pending()
            await _until(lambda: not any((tmp_path / "trash").iterdir()))


async def test_leftovers_of_a_stopped_replica_go_at_start(tmp_path: Path) -> None:
    assert Trash(tmp_path / "trash").take(_directory(tmp_path / "ws"))
    async with _running(Trash(tmp_path / "trash", Quiet(), max_delay_s=60)):
        await _until(lambda: not any((tmp_path / "trash").iterdir()))


async def test_quiet_waits_for_every_step(tmp_path: Path) -> None:
    quiet = Quiet()
    with quiet.running():
        with quiet.running():
            pass
        waiting = asyncio.create_task(quiet.wait(60))
        await asyncio.sleep(0.05)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)
