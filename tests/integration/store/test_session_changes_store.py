"""A claim holds only what changed, yet a reader that applies the claims gets exactly the
session that a whole write of the same version stores."""

from __future__ import annotations

from typing import Any

from cts_contracts import ResultStatus
from cts_core import Session, mark_published
from cts_store import SessionStore
from cts_store.documents import to_document
from cts_testing.answers import sample_data
from cts_testing.session_builders import T0, answer, start


async def test_claims_read_back_what_whole_documents_hold(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session = start(max_fix_attempts=2)
    await store.create_or_get(session)
    stored: Session = session
    statuses = [ResultStatus.OK, ResultStatus.OK, ResultStatus.OK, ResultStatus.ERROR,
                ResultStatus.OK, ResultStatus.TRANSIENT, ResultStatus.OK,
                ResultStatus.OK]  # fmt: skip
    for status in statuses:
        in_flight = stored.in_flight
        assert in_flight is not None
        answered = answer(stored, status, sample_data(in_flight.step))
        emptied = mark_published(answered, {i.id for i in answered.outbox}, now=T0)
        for change in (answered, emptied):
            saved = await store.claim(stored, change)
            assert saved is not None
            from_claims = await store.get(session.scope, session.id)  # document at version 0
            assert from_claims == saved
            assert to_document(from_claims) == to_document(saved)
            stored = saved
    assert stored.status.value == "complete"
    await store.write_documents([stored])
    document = await mongo_db["sessions"].find_one({"_id": session.id})
    assert document == to_document(stored)


async def test_the_sweeper_queries_judge_the_caught_up_session(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())  # Initialize's command in the outbox
    assert [s.id for s in await store.with_pending_outbox(older_than=T0)] == [session.id]
    emptied = mark_published(session, {session.outbox[0].id}, now=T0)
    assert await store.claim(session, emptied) is not None  # claimed; document still pending
    assert await store.with_pending_outbox(older_than=T0) == []
