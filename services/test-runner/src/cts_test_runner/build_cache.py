"""Per-project build directories, reused across sessions so a repeat run compiles only what
changed, and serialised so two runs never write one build directory at once.

Mix honours ``MIX_BUILD_ROOT`` (checked on Elixir 1.14): builds land in
``<root>/<account>/<project>/<MIX_ENV>/``. Within a replica an asyncio lock serialises a
project's runs; a ``flock`` on a file beside the build serialises replicas sharing the volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

LOCK_POLL_S = 0.2


class BuildCache:
    def __init__(self, workspace_root: Path, *, enabled: bool = True) -> None:
        self._root = workspace_root / ".build-cache"
        self._enabled = enabled
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def project_dir(self, account_id: str, project_id: str) -> Path:
        return self._root / account_id / project_id

    @contextlib.asynccontextmanager
    async def checkout(self, account_id: str, project_id: str) -> AsyncIterator[Path]:
        """A build directory owned by the caller until the block ends.

        Disabled, it is a fresh temporary directory: every run compiles from scratch.
        """
        if not self._enabled:
            fresh = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="cts-build-"))
            try:
                yield fresh
            finally:
                await asyncio.to_thread(shutil.rmtree, fresh, True)
            return
        directory = self.project_dir(account_id, project_id)
        lock = self._locks.setdefault((account_id, project_id), asyncio.Lock())
        async with lock:
            await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
            fd = await asyncio.to_thread(os.open, directory / ".lock", os.O_CREAT | os.O_RDWR)
            try:
                await _flock(fd)
                yield directory
            finally:
                os.close(fd)  # closing releases the flock


async def _flock(fd: int) -> None:
    """Poll a non-blocking flock: a thread blocked in flock could not be cancelled."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await asyncio.sleep(LOCK_POLL_S)
        else:
            return
