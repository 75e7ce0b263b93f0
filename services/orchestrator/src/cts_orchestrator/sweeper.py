"""Periodic recovery: re-publish outboxes a crash left behind, expire overdue steps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from cts_orchestrator.orchestrator import Orchestrator
from cts_orchestrator.ports import Clock
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import get_logger
from cts_store import SessionStore

log = get_logger(__name__)


class Sweeper:
    def __init__(
        self, orchestrator: Orchestrator, store: SessionStore, clock: Clock, *,
        interval_s: float, outbox_grace_s: float,
    ) -> None:  # fmt: skip
        self._orchestrator = orchestrator
        self._store = store
        self._clock = clock
        self._interval_s = interval_s
        self._grace = timedelta(seconds=outbox_grace_s)

    async def sweep_once(self) -> int:
        """One pass; returns how many sessions it acted on."""
        now = self._clock.now()
        acted = 0
        for session in await self._store.with_pending_outbox(older_than=now - self._grace):
            log.warning(
                "re-publishing an outbox left pending",
                session_id=session.id,
                items=len(session.outbox),
            )
            await self._orchestrator.flush(session)
            acted += 1
        for session in await self._store.overdue(now=now):
            try:
                await self._orchestrator.expire(session)
            except BadMessage:  # the session moved on between the query and the update
                continue
            acted += 1
        return acted

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                # The sweeper must outlive a database or broker outage; it tries again later.
                log.exception("sweep failed; will retry")
            await asyncio.sleep(self._interval_s)
