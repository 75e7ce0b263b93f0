"""The database server's time, for every time one process writes and another compares.

Heartbeats, outbox ages, step deadlines and agent leases are written by one replica and
judged by another. Stamped with each machine's own clock, a replica whose clock runs 10 s
behind looks dead to the others all the time; stamped with the server's time, the replicas
agree whatever their clocks say.

FerretDB v1 has no aggregation-pipeline updates and no ``$expr`` comparisons (so no
``$$NOW`` in a filter), but it answers ``hello`` with its ``localTime``, as MongoDB does.
The clock reads that once per ``resync_s`` and carries it forward on this process's
monotonic clock, which a wrong or stepped wall clock does not move. Its error is half the
round trip of the last reading plus the millisecond the server rounds to; a failed re-read
keeps the last reading (the monotonic clock drifts by parts per million).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

log = logging.getLogger(__name__)

RESYNC_S = 30.0


class ServerClock:
    def __init__(
        self,
        database: AsyncDatabase[dict[str, Any]],
        *,
        resync_s: float = RESYNC_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._resync_s = resync_s
        self._monotonic = monotonic
        self._anchor: tuple[datetime, float] | None = None
        self.round_trip_s: float | None = None

    async def sync(self) -> datetime:
        """Read the server's time now; the reading counts from the middle of the round trip."""
        sent = self._monotonic()
        answer = await self._database.command("hello")
        received = self._monotonic()
        server = answer["localTime"]
        if server.tzinfo is None:  # a client without tz_aware returns naive UTC
            server = server.replace(tzinfo=UTC)
        self._anchor = (server, (sent + received) / 2)
        self.round_trip_s = received - sent
        return self.now()

    def now(self) -> datetime:
        """The server's time, from the last reading; ``sync`` must have run once."""
        if self._anchor is None:
            raise RuntimeError("ServerClock.now() before its first sync()")
        server, at = self._anchor
        return server + timedelta(seconds=self._monotonic() - at)

    async def read(self) -> datetime:
        """``now``, re-reading the server first when the last reading is older than
        ``resync_s`` (or there is none)."""
        if self._anchor is None:
            return await self.sync()
        if self._monotonic() - self._anchor[1] >= self._resync_s:
            try:
                return await self.sync()
            except Exception as exc:  # the last reading is still good for a long while
                log.warning("could not re-read the database server's time: %s",
                            type(exc).__name__)  # fmt: skip
        return self.now()

    async def keep_synced(self) -> None:
        """Re-read every ``resync_s`` (a service's background task)."""
        while True:
            await asyncio.sleep(self._resync_s)
            try:
                await self.sync()
            except Exception as exc:
                log.warning("could not re-read the database server's time: %s",
                            type(exc).__name__)  # fmt: skip
