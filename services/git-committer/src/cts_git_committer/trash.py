"""A finished session's directories leave their place at once and their bytes when no step runs.

Removing a session's working tree and git directory costs about as much CPU as a Finalize's
own git commands (mostly the kernel unlinking a few hundred files). Done the moment
``SessionFinished`` arrives, it ran beside the Initializes and Finalizes of every other
session, and sessions finished later for it. So removal is two steps: under the session lock
both directories are renamed into ``.git-committer/trash/`` (one rename each: the workspace
is gone from its path as before), and a background loop deletes the trash once this replica
runs no step, or after ``max_delay_s`` at the latest, so the volume never waits on a busy
replica for long. Trash left by a stopped replica is deleted by the next one that starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from cts_runtime.logs import get_logger

log = get_logger(__name__)


class Quiet:
    """Counts this replica's running steps, for housekeeping that waits for none."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def wait(self, at_most_s: float) -> None:
        """Return when no step runs, or after ``at_most_s``, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most_s)


class Trash:
    def __init__(self, directory: Path, quiet: Quiet | None = None, *, max_delay_s: float = 30):
        self.directory = directory
        self._quiet = quiet or Quiet()
        self._max_delay_s = max_delay_s
        self._pending = asyncio.Event()

    def take(self, *paths: Path) -> bool:
        """Move ``paths`` (those that exist) into one new trash entry; blocking, call it in a
        thread. False if a rename failed (another file system): the caller removes in place."""
        entry = self.directory / uuid.uuid4().hex
        try:
            entry.mkdir(parents=True)
            for number, path in enumerate(paths):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(path, entry / str(number))
        except OSError as exc:
            log.warning("cannot move a finished workspace to the trash", error=str(exc))
            return False
        return True

    def pending(self) -> None:
        """Something was taken: delete it when the replica is quiet."""
        self._pending.set()

    def empty(self) -> int:
        """Delete every trash entry now; blocking. Returns how many went."""
        try:
            entries = list(self.directory.iterdir())
        except FileNotFoundError:
            return 0
        for entry in entries:
            shutil.rmtree(entry, ignore_errors=True)
        return len(entries)

    async def run(self) -> None:
        """Delete the trash whenever it holds something and the replica is quiet."""
        self._pending.set()  # a previous replica's leftovers
        while True:
            await self._pending.wait()
            await self._quiet.wait(self._max_delay_s)
            self._pending.clear()
            try:
                removed = await asyncio.to_thread(self.empty)
            except OSError as exc:  # a volume hiccup must not end the loop
                log.warning("emptying the workspace trash failed", error=str(exc))
                self._pending.set()
                await asyncio.sleep(self._max_delay_s)
                continue
            if removed:
                log.debug("workspace trash emptied", entries=removed)
