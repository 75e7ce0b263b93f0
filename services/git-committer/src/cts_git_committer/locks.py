"""Named exclusive locks that hold across tasks of this process and across replicas.

An asyncio lock orders this process's tasks; a ``flock`` on a file orders replicas sharing
the workspace volume. The flock is polled without blocking: a thread stuck in ``flock``
could not be cancelled when the step's deadline passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

POLL_S = 0.1


class Locks:
    def __init__(self) -> None:
        self._local: dict[Path, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, path: Path) -> AsyncIterator[None]:
        lock, users = self._local.get(path, (asyncio.Lock(), 0))
        self._local[path] = (lock, users + 1)
        try:
            async with lock:
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
                fd = await asyncio.to_thread(os.open, path, os.O_CREAT | os.O_RDWR, 0o600)
                try:
                    await _flock(fd)
                    yield
                finally:
                    os.close(fd)  # closing releases the flock
        finally:
            lock, users = self._local[path]
            if users == 1:
                del self._local[path]  # one entry per session would otherwise pile up
            else:
                self._local[path] = (lock, users - 1)


async def _flock(fd: int) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await asyncio.sleep(POLL_S)
        else:
            return
