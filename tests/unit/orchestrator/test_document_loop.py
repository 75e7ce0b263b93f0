"""The document loop keeps writing through database outages, waiting longer while they last."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from cts_orchestrator import documents as loop
from cts_store import WriteBehind


class Flaky:
    """A WriteBehind stand-in whose first ``failures`` flushes fail."""

    def __init__(self, failures: int) -> None:
        self.delay_s = 0.01
        self.pending = 1
        self.failures = failures
        self.flushes = 0
        self.done = asyncio.Event()

    async def flush(self) -> int:
        self.flushes += 1
        if self.flushes <= self.failures:
            raise ConnectionError("database away")
        self.done.set()
        return 1


async def test_failed_flushes_back_off_then_writing_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
    flaky = Flaky(failures=3)
    task = asyncio.create_task(loop.write_documents_forever(cast(WriteBehind, flaky)))
    await asyncio.wait_for(flaky.done.wait(), timeout=5)
    await real_sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert waits[:5] == [0.01, 0.02, 0.04, 0.08, 0.01]


async def test_without_a_delay_there_is_no_loop() -> None:
    flaky = Flaky(failures=0)
    flaky.delay_s = 0
    await asyncio.wait_for(loop.write_documents_forever(cast(WriteBehind, flaky)), timeout=1)
    assert flaky.flushes == 0
