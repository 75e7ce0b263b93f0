"""Finished sessions' workspaces are removed at once, or after the retention by the sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cts_contracts import Outcome, SessionFinishedData
from cts_git_committer.cleanup import Cleanup
from cts_git_committer.layout import Layout, SessionPaths
from cts_git_committer.locks import Locks


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _finished(session_id: str) -> SessionFinishedData:
    now = datetime.now(UTC)
    return SessionFinishedData(account_id="acme", project_id="shop", session_id=session_id,
                               request_id="r", status="failed", outcome=Outcome(),
                               started_at=now, finished_at=now)  # fmt: skip


def _populate(layout: Layout, session_id: str) -> SessionPaths:
    paths = layout.session("acme", "shop", session_id)
    (paths.workspace / "test").mkdir(parents=True)
    (paths.workspace / "test" / "a_test.exs").write_text("x")
    paths.gitdir.mkdir(parents=True)
    (paths.gitdir / "HEAD").write_text("ref: refs/heads/x\n")
    return paths


async def test_without_retention_the_workspace_goes_at_once(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    paths, other = _populate(layout, "s-1"), _populate(layout, "s-2")
    cleanup = Cleanup(layout, Locks(), retention_s=0)
    await cleanup.on_finished(_finished("s-1"))
    assert not paths.workspace.exists()
    assert not paths.gitdir.exists()
    assert not paths.lock.exists()
    assert other.workspace.is_dir()
    assert other.gitdir.is_dir()
    assert cleanup.trash.empty() == 1  # its files wait in the trash for a quiet moment
    assert cleanup.trash.empty() == 0


async def test_where_the_trash_cannot_take_it_the_workspace_is_removed_in_place(
    tmp_path: Path,
) -> None:
    layout = Layout(tmp_path)
    paths = _populate(layout, "s-1")
    layout.private.mkdir(exist_ok=True)
    layout.trash.write_text("")  # a file where the trash directory would be: renames fail
    await Cleanup(layout, Locks(), retention_s=0).on_finished(_finished("s-1"))
    assert not paths.workspace.exists()
    assert not paths.gitdir.exists()


async def test_with_retention_the_sweep_removes_it_later(tmp_path: Path) -> None:
    layout, clock = Layout(tmp_path), Clock()
    paths = _populate(layout, "s-1")
    cleanup = Cleanup(layout, Locks(), retention_s=3600, clock=clock)
    await cleanup.on_finished(_finished("s-1"))
    assert paths.finished_marker.is_file()
    clock.now += 3599
    await cleanup.on_finished(_finished("s-1"))  # redelivered: does not restart the clock
    assert await cleanup.sweep() == 0
    assert paths.workspace.is_dir()
    clock.now += 1
    # A fresh instance (another replica, a restart) finds the marker on the volume.
    assert await Cleanup(layout, Locks(), retention_s=3600, clock=clock).sweep() == 1
    assert not paths.workspace.exists()
    assert not paths.gitdir.exists()
    assert not paths.finished_marker.exists()


async def test_an_unsafe_session_id_is_ignored(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    paths = _populate(layout, "s-1")
    event = _finished("s-1").model_copy(update={"session_id": "../shop"})
    await Cleanup(layout, Locks(), retention_s=0).on_finished(event)
    assert paths.workspace.is_dir()
    assert (tmp_path / "acme" / "shop").is_dir()


async def test_a_sweep_removes_at_most_its_batch_and_the_next_one_the_rest(
    tmp_path: Path,
) -> None:
    layout, clock = Layout(tmp_path), Clock()
    cleanup = Cleanup(layout, Locks(), retention_s=60, max_per_pass=2, clock=clock)
    sessions = [_populate(layout, f"s-{n}") for n in range(5)]
    for paths in sessions:
        await cleanup.on_finished(_finished(paths.workspace.name))
    clock.now += 60
    assert [await cleanup.sweep() for _ in range(4)] == [2, 2, 1, 0]
    assert not any(paths.workspace.exists() for paths in sessions)
