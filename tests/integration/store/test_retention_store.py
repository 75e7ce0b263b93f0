"""Retention on the real FerretDB: finished sessions past the period go with everything keyed
to them, a bounded batch per pass; active and recent ones, and a document that trails its
claims, stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cts_store import Instances, SessionStore
from cts_store.collections import AGENT_CLAIMS, AGENT_TRANSCRIPTS, SESSION_VERSIONS, SESSIONS
from cts_store.retention import Retention, Swept
from tests.integration.store.history import documents_of, stored_session

NOW = datetime(2026, 12, 6, tzinfo=UTC)
KEEP = timedelta(days=30)
OLD = NOW - timedelta(days=40)
ALL = {SESSIONS: 1, SESSION_VERSIONS: 1, AGENT_CLAIMS: 1, AGENT_TRANSCRIPTS: 1}


async def test_old_finished_sessions_go_a_batch_at_a_time_active_ones_never(
    mongo_db: Any,
) -> None:
    old = [await stored_session(mongo_db, f"old-{n}", started=OLD, finished=OLD)
           for n in range(3)]  # fmt: skip
    recent = await stored_session(mongo_db, "recent", started=OLD, finished=NOW - KEEP / 2)
    active = await stored_session(mongo_db, "active", started=OLD, finished=None)
    instances = Instances(mongo_db)
    await instances.beat("gone-long-ago", now=OLD)
    await instances.beat("alive", now=NOW)
    for session in (*old, recent, active):
        assert await documents_of(mongo_db, session) == ALL

    retention = Retention(mongo_db, SessionStore(mongo_db), keep=KEEP, batch=2)
    first = await retention.sweep_once(NOW)
    assert (first.sessions, first.documents, first.instances) == (2, 8, 1)
    assert await retention.sweep_once(NOW) == Swept(sessions=1, documents=4, instances=0)
    assert await retention.sweep_once(NOW) == Swept(sessions=0, documents=0, instances=0)

    for session in old:
        assert sum((await documents_of(mongo_db, session)).values()) == 0
    assert await documents_of(mongo_db, recent) == ALL
    assert await documents_of(mongo_db, active) == ALL
    assert {d["_id"] async for d in mongo_db["orchestrator_instances"].find()} == {"alive"}
    assert await mongo_db[SESSIONS].count_documents({}) == 2


async def test_a_document_behind_its_claims_waits_for_its_writer(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    finished = await stored_session(mongo_db, "behind", started=OLD, finished=OLD)
    later = await store.claim(finished, finished.model_copy(update={"outbox": []}))
    assert later is not None  # claimed, its document not written yet
    retention = Retention(mongo_db, store, keep=KEEP)
    assert (await retention.sweep_once(NOW)).sessions == 0
    await store.write_documents([later])
    assert (await retention.sweep_once(NOW)).sessions == 1
    assert sum((await documents_of(mongo_db, later)).values()) == 0
