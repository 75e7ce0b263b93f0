"""The retention loop: finished sessions past the retention period, collected a bounded
batch per pass, at the database server's time (``cts_store.retention``)."""

from __future__ import annotations

import asyncio

from cts_orchestrator.ports import Clock
from cts_runtime.logs import get_logger
from cts_store.retention import Retention

log = get_logger(__name__)


async def collect_forever(retention: Retention, clock: Clock, *, interval_s: float) -> None:
    while True:
        try:
            swept = await retention.sweep_once(clock.now())
            if swept.sessions or swept.instances:
                log.info("retention: collected finished sessions", sessions=swept.sessions,
                         documents=swept.documents, instance_records=swept.instances)  # fmt: skip
        except Exception:
            # Like the sweeper, it must outlive a database outage; it tries again later.
            log.exception("retention pass failed; will retry")
        await asyncio.sleep(interval_s)
