"""Remove a session's workspace once the session has finished, after a retention period.

With no retention the workspace goes as soon as ``SessionFinished`` arrives. With one, a
marker records when the session finished and a periodic sweep removes what is older than
the retention; markers live on the shared volume, so a restart or another replica finishes
the job. Removing moves both directories into the trash (trash.py), deleted once no step
runs. The git-committer sweeps because it made the workspace (Initialize) and holds the
session lock the other steps respect; a pass removes at most ``max_per_pass`` workspaces, so
a backlog (a long retention ending for many sessions at once) is worked off over several
passes instead of holding the volume in one. Markers hold this replica's wall-clock time and
are judged by any replica's: a clock skew of seconds moves a retention of hours by seconds.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from cts_contracts import SessionFinishedData
from cts_git_committer.layout import Layout, SessionPaths
from cts_git_committer.locks import Locks
from cts_git_committer.trash import Trash
from cts_runtime.logs import get_logger
from cts_runtime.workspace import WorkspaceEscape

log = get_logger(__name__)


class Cleanup:
    def __init__(
        self,
        layout: Layout,
        locks: Locks,
        *,
        retention_s: float,
        max_per_pass: int = 100,
        clock: Callable[[], float] = time.time,
        trash: Trash | None = None,
    ) -> None:
        self._layout = layout
        self.trash = trash or Trash(layout.trash)
        self._locks = locks
        self._retention_s = retention_s
        self._max_per_pass = max_per_pass
        self._clock = clock

    async def on_finished(self, event: SessionFinishedData) -> None:
        try:
            paths = self._layout.session(event.account_id, event.project_id, event.session_id)
        except WorkspaceEscape as exc:
            log.warning("not cleaning up an unsafe session path", error=str(exc))
            return
        if self._retention_s <= 0:
            await self.remove(paths)
            return
        await asyncio.to_thread(_mark, paths.finished_marker, self._clock())

    async def remove(self, paths: SessionPaths) -> None:
        # The session lock: a late, redelivered step of this session finishes first.
        async with self._locks.hold(paths.lock):
            await asyncio.to_thread(self._remove_now, paths)
        self.trash.pending()
        await asyncio.to_thread(paths.lock.unlink, missing_ok=True)
        log.info("workspace removed", workspace=str(paths.workspace))

    def _remove_now(self, paths: SessionPaths) -> None:
        """Into the trash, or (where a rename cannot work) deleted in place; blocking."""
        if not self.trash.take(paths.workspace, paths.gitdir):
            shutil.rmtree(paths.workspace, ignore_errors=True)
            shutil.rmtree(paths.gitdir, ignore_errors=True)
        paths.finished_marker.unlink(missing_ok=True)

    async def sweep(self) -> int:
        """Remove finished sessions past the retention, at most ``max_per_pass``; returns
        how many."""
        due = await asyncio.to_thread(self._due, self._clock())
        for paths in due:
            await self.remove(paths)
        return len(due)

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                await self.sweep()
            except OSError as exc:  # a volume hiccup must not end the sweeper
                log.warning("cleanup sweep failed", error=str(exc))
            await asyncio.sleep(interval_s)

    def _due(self, now: float) -> list[SessionPaths]:
        due = []
        for marker in sorted(self._layout.finished.glob("*/*/*")):
            account, project, session = marker.parts[-3:]
            try:
                finished_at = float(marker.read_text(encoding="utf-8").strip() or 0)
                paths = self._layout.session(account, project, session)
            except (OSError, ValueError):
                continue
            if now - finished_at >= self._retention_s:
                due.append(paths)
                if len(due) >= self._max_per_pass:
                    break
        return due


def _mark(marker: Path, now: float) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    if not marker.exists():  # a redelivered event does not extend the retention
        marker.write_text(f"{now}\n", encoding="utf-8")
