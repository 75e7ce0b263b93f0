"""``save_changes`` stores exactly what a whole-document ``save`` stores and is just as much a
compare-and-set; ``pull_published`` removes exactly the published items."""

from __future__ import annotations

from typing import Any

import pytest

from cts_contracts import ResultStatus
from cts_core import Session, mark_published
from cts_store import SessionStore
from cts_testing.answers import sample_data
from cts_testing.session_builders import T0, answer, start


def _without_id(doc: dict[str, Any] | None) -> dict[str, Any]:
    assert doc is not None
    return {k: v for k, v in doc.items() if k != "_id"}


async def test_partial_writes_store_what_whole_writes_store(mongo_db: Any) -> None:
    other = mongo_db.client[f"{mongo_db.name}_b"]
    whole, partial = SessionStore(mongo_db), SessionStore(other)
    session = start(max_fix_attempts=2)
    await whole.create_or_get(session)
    await partial.create_or_get(session)
    stored: Session = session
    statuses = [ResultStatus.OK, ResultStatus.OK, ResultStatus.ERROR, ResultStatus.OK,
                ResultStatus.TRANSIENT, ResultStatus.OK, ResultStatus.OK]  # fmt: skip
    try:
        for status in statuses:
            in_flight = stored.in_flight
            assert in_flight is not None
            answered = answer(stored, status, sample_data(in_flight.step))
            cleared = mark_published(answered, {i.id for i in answered.outbox}, now=T0)
            for step, (previous, nxt) in enumerate(((stored, answered), (answered, cleared))):
                expected = stored.version + step
                by_whole = await whole.save(nxt, expected_version=expected)
                by_partial = await partial.save_changes(
                    previous.model_copy(update={"version": expected}), nxt
                )
                assert by_whole is not None
                assert by_partial is not None
                assert by_partial.version == by_whole.version == expected + 1
                a = await mongo_db["sessions"].find_one({"_id": session.id})
                b = await other["sessions"].find_one({"_id": session.id})
                assert _without_id(a) == _without_id(b)
            stored = cleared.model_copy(update={"version": stored.version + 2})
        assert stored.status.value == "complete"
    finally:
        await mongo_db.client.drop_database(other.name)


async def test_a_stale_or_foreign_partial_write_changes_nothing(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    moved = answer(session)
    assert await store.save_changes(session, moved) is not None
    assert await store.save_changes(session, answer(moved)) is None  # version 0 is gone
    intruder: Session = session.model_copy(update={"account_id": "intruder", "version": 1})
    assert await store.save_changes(intruder, intruder.model_copy()) is None
    with pytest.raises(ValueError, match="never change"):
        await store.save_changes(moved, moved.model_copy(update={"account_id": "intruder"}))
    stored = await store.get(session.scope, session.id)
    assert stored is not None
    assert stored.version == 1
    assert stored.interactions[0].result is not None


async def test_pulling_published_items_keeps_what_a_concurrent_writer_added(
    mongo_db: Any,
) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())  # Initialize's command in the outbox
    published = {session.outbox[0].id}
    answered = answer(session)  # the answer drops that command and adds Generate's
    assert await store.save_changes(session, answered) is not None
    await store.pull_published(session, published)  # a late "mark published" of the old copy
    stored = await store.get(session.scope, session.id)
    assert stored is not None
    assert [i.id for i in stored.outbox] == [answered.interactions[1].id]
    assert [s.id for s in await store.with_pending_outbox(older_than=T0)] == [session.id]


async def test_an_emptied_outbox_is_not_pending_even_before_the_next_transition(
    mongo_db: Any,
) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    assert [s.id for s in await store.with_pending_outbox(older_than=T0)] == [session.id]
    await store.pull_published(session, {session.outbox[0].id})
    assert await store.with_pending_outbox(older_than=T0) == []
    stored = await store.get(session.scope, session.id)
    assert stored is not None
    assert stored.outbox == []
    assert stored.version == session.version
