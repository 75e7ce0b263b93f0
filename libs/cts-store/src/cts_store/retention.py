"""Retention: a finished session and everything keyed to it are deleted once it has been
finished for longer than the retention period; an active session never is.

A sweeper, not TTL indexes: FerretDB v1 refuses ``expireAfterSeconds`` ("not implemented
yet"), and on MongoDB a TTL index could only expire documents that carry the session's end
themselves, which its versions, claims and transcript do not. The sweeper names every
document by ``_id``, one ``delete_many`` per collection per pass, and deletes the sessions'
own documents last, so a pass cut short is finished by the next one. Each pass takes at most
``batch`` sessions: its work is bounded however much history there is. Every orchestrator
replica sweeps; deleting what another replica deleted first is a no-op.

A request repeated after its session was collected starts a new session: the idempotency
key is kept as long as the session is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from cts_core import Session
from cts_store.collections import (
    AGENT_CLAIMS,
    AGENT_TRANSCRIPTS,
    ORCHESTRATOR_INSTANCES,
    SESSION_VERSIONS,
    SESSIONS,
)
from cts_store.sessions import SessionStore
from cts_store.versions import version_id

INSTANCE_SILENCE = timedelta(hours=1)
"""An orchestrator record goes once silent for the retention period, and never sooner than
this: a live replica's record must never go between two beats, however short the period."""

LATE_VERSIONS = 8
"""Versions past the one read that a pass deletes as well: a writer may still steer a
finished session's outbox while it is collected."""


def keyed_to(sessions: list[Session]) -> dict[str, list[str]]:
    """The ``_id`` of every document of these sessions, by collection, in the order they
    are deleted: the sessions' own documents last."""
    versions = [
        version_id(s.id, v) for s in sessions for v in range(1, s.version + 1 + LATE_VERSIONS)
    ]
    return {
        SESSION_VERSIONS: versions,
        AGENT_CLAIMS: [i.id for s in sessions for i in s.interactions],
        AGENT_TRANSCRIPTS: [s.id for s in sessions],
        SESSIONS: [s.id for s in sessions],
    }


@dataclass(frozen=True)
class Swept:
    sessions: int
    documents: int
    instances: int


class Retention:
    def __init__(
        self,
        database: AsyncDatabase[dict[str, Any]],
        store: SessionStore,
        *,
        keep: timedelta,
        batch: int = 50,
    ) -> None:
        if keep <= timedelta(0) or batch < 1:
            raise ValueError("retention needs a positive period and batch")
        self._database = database
        self._store = store
        self._keep = keep
        self._batch = batch

    async def sweep_once(self, now: datetime) -> Swept:
        """One pass at the database server's ``now``: at most ``batch`` sessions, then the
        records of orchestrator replicas silent for as long (``INSTANCE_SILENCE`` at least)."""
        cutoff = now - self._keep
        sessions = await self._store.finished_before(cutoff, limit=self._batch)
        documents = 0
        for collection, ids in keyed_to(sessions).items():
            if ids:
                deleted = await self._database[collection].delete_many({"_id": {"$in": ids}})
                documents += deleted.deleted_count
        silent = now - max(self._keep, INSTANCE_SILENCE)
        gone = await self._database[ORCHESTRATOR_INSTANCES].delete_many(
            {"beat_at": {"$lt": silent}}
        )
        return Swept(len(sessions), documents, gone.deleted_count)
