"""A named lock excludes other tasks of this process and other holders of the file."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from cts_git_committer.locks import Locks


async def test_tasks_take_turns(tmp_path: Path) -> None:
    locks, inside, peak = Locks(), 0, 0

    async def work() -> None:
        nonlocal inside, peak
        async with locks.hold(tmp_path / "a.lock"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(work() for _ in range(5)))
    assert peak == 1
    assert locks._local == {}, "entries are dropped when nobody holds or waits"


async def test_another_holder_of_the_file_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "b.lock"
    fd = os.open(path, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another replica would
    entered = asyncio.Event()

    async def take() -> None:
        async with Locks().hold(path):
            entered.set()

    task = asyncio.create_task(take())
    await asyncio.sleep(0.3)
    assert not entered.is_set()
    os.close(fd)
    await asyncio.wait_for(task, 5)
    assert entered.is_set()
