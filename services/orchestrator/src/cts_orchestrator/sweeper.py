"""Periodic recovery: re-publish outboxes whose writer is gone, expire overdue steps; and the
heartbeat that tells the other replicas this one is alive."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from cts_orchestrator.bootstrap import Orchestrator
from cts_orchestrator.ports import Clock
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import get_logger
from cts_store import Instances, SessionStore

log = get_logger(__name__)


class Sweeper:
    def __init__(
        self, orchestrator: Orchestrator, store: SessionStore, instances: Instances,
        clock: Clock, *, interval_s: float, outbox_grace_s: float,
    ) -> None:  # fmt: skip
        self._orchestrator = orchestrator
        self._store = store
        self._instances = instances
        self._clock = clock
        self._interval_s = interval_s
        self._grace = timedelta(seconds=outbox_grace_s)

    @property
    def beat_interval_s(self) -> float:
        """Several beats per grace period, so one late beat never makes a replica look dead."""
        return self._grace.total_seconds() / 4

    async def beat(self) -> None:
        await self._instances.beat(self._orchestrator.instance_id, now=self._clock.now())

    async def beat_forever(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception:
                # Missed beats only make the others re-publish this replica's outboxes.
                log.warning("heartbeat failed; will retry", exc_info=True)
            await asyncio.sleep(self.beat_interval_s)

    async def sweep_once(self) -> int:
        """One pass; returns how many sessions it acted on."""
        now = self._clock.now()
        acted = 0
        # This replica is running this very pass: alive, even when its own beats failed (a
        # database outage fails them too), so its outboxes are never a gone writer's.
        live = await self._instances.alive(now=now, within=self._grace)
        live = {*live, self._orchestrator.instance_id}
        pending = await self._store.with_pending_outbox(
            older_than=now - self._grace, live_owners=live
        )
        for session in pending:
            log.warning(
                "re-publishing an outbox whose writer is gone",
                session_id=session.id,
                items=len(session.outbox),
                writer=session.outbox_owner,
            )
            await self._orchestrator.relay.flush(session)
            acted += 1
        for session in await self._store.overdue(now=now):
            try:
                await self._orchestrator.service.expire(session)
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
