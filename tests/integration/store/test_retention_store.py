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
ACTIVE = {SESSIONS: 1, SESSION_VERSIONS: 1, AGENT_CLAIMS: 1, AGENT_TRANSCRIPTS: 1}
FINISHED = {**ACTIVE, SESSION_VERSIONS: 2}  # the end, then its outbox emptied


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
    for session in (*old, recent):
        assert await documents_of(mongo_db, session) == FINISHED
    assert await documents_of(mongo_db, active) == ACTIVE

    retention = Retention(mongo_db, SessionStore(mongo_db), keep=KEEP, batch=2)
    first = await retention.sweep_once(NOW)
    assert (first.sessions, first.documents, first.instances) == (2, 10, 1)
    assert await retention.sweep_once(NOW) == Swept(sessions=1, documents=5, instances=0)
    assert await retention.sweep_once(NOW) == Swept(sessions=0, documents=0, instances=0)

    for session in old:
        assert sum((await documents_of(mongo_db, session)).values()) == 0
    assert await documents_of(mongo_db, recent) == FINISHED
    assert await documents_of(mongo_db, active) == ACTIVE
    assert {d["_id"] async for d in mongo_db["orchestrator_instances"].find()} == {"alive"}
    assert await mongo_db[SESSIONS].count_documents({}) == 2


async def test_a_document_behind_its_claims_waits_for_its_writer(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    finished = await stored_session(mongo_db, "behind", started=OLD, finished=OLD)
    later = await store.claim(finished, finished.model_copy(update={"updated_at": OLD}))
    assert later is not None  # claimed, its document not written yet
    retention = Retention(mongo_db, store, keep=KEEP)
    assert (await retention.sweep_once(NOW)).sessions == 0
    await store.write_documents([later])
    assert (await retention.sweep_once(NOW)).sessions == 1
    assert sum((await documents_of(mongo_db, later)).values()) == 0


async def test_an_unsent_session_finished_is_sent_before_the_session_goes(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    ended = await stored_session(mongo_db, "unsent", started=OLD, finished=OLD, published=False)
    assert [item.kind for item in ended.outbox] == ["finished"]
    assert (await Retention(mongo_db, store, keep=KEEP).sweep_once(NOW)).sessions == 0


async def test_a_live_replicas_record_stays_however_short_the_period(mongo_db: Any) -> None:
    instances = Instances(mongo_db)
    await instances.beat("beat-a-minute-ago", now=NOW - timedelta(minutes=1))
    await instances.beat("silent-for-two-hours", now=NOW - timedelta(hours=2))
    retention = Retention(mongo_db, SessionStore(mongo_db), keep=timedelta(seconds=1))
    assert (await retention.sweep_once(NOW)).instances == 1
    remaining = {d["_id"] async for d in mongo_db["orchestrator_instances"].find()}
    assert remaining == {"beat-a-minute-ago"}
