"""Keep a claim's lease alive while the model works; stop the work if the claim is lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from pymongo.errors import PyMongoError

from cts_agent_runner.claims import ClaimKey, ClaimStore
from cts_runtime.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")


class ClaimLost(Exception):
    """Another instance took the claim over (our renewals stopped reaching the store)."""


async def with_heartbeat(
    work: Awaitable[T],
    *,
    claims: ClaimStore,
    key: ClaimKey,
    owner: str,
    lease_s: float,
    interval_s: float,
) -> T:
    """Run ``work`` while renewing the lease every ``interval_s``.

    A failed renewal (store unreachable) is only logged: the lease is several intervals long,
    so one miss does not lose the claim. A renewal that finds another owner cancels the work.
    """
    lost = asyncio.Event()

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                still_ours = await claims.renew(key, owner, lease_s)
            except PyMongoError as exc:
                log.warning("claim renewal failed; retrying", error=type(exc).__name__)
                continue
            if not still_ours:
                lost.set()
                return

    task = asyncio.ensure_future(work)
    heart = asyncio.create_task(beat())
    watcher = asyncio.create_task(lost.wait())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise ClaimLost(f"interaction {key.interaction_id} was taken over")
        return task.result()
    finally:
        for helper in (heart, watcher):
            helper.cancel()
        await asyncio.gather(heart, watcher, return_exceptions=True)
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
