"""The version log: a claim is the compare-and-set, and a reader always gets the last claimed
version, even when the session document missed a write or got an older one late. Reading
never writes."""

from __future__ import annotations

from typing import Any

import pytest

from cts_core import Session
from cts_store import SessionStore
from cts_testing.session_builders import answer, start


async def _claimed(store: SessionStore, previous: Session) -> Session:
    saved = await store.claim(previous, answer(previous))
    assert saved is not None
    return saved


async def test_a_writer_that_dies_after_its_claim_loses_nothing(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    claimed = await _claimed(store, session)  # ... and the writer dies before its document

    loaded = await store.load(session.scope, session.id)

    assert loaded is not None
    assert loaded.session == claimed
    assert loaded.behind, "the writer that loads it knows the document needs a write"
    untouched = await mongo_db["sessions"].find_one({"_id": session.id})
    assert untouched["version"] == 0, "reading never writes"
    assert await store.claim(session, answer(session)) is None, "version 1 is taken"
    await store.write_documents([claimed])
    current = await store.load(session.scope, session.id)
    assert current is not None
    assert not current.behind


async def test_a_late_write_of_an_older_version_is_undone_by_the_claims_after_it(
    mongo_db: Any,
) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    slow = await _claimed(store, session)  # version 1, its document written late
    third = await _claimed(store, await _claimed(store, slow))  # versions 2 and 3
    await store.write_documents([third])

    await store.write_documents([slow])  # puts version 1 back over version 3
    regressed = await mongo_db["sessions"].find_one({"_id": session.id})
    assert regressed["version"] == 1

    loaded = await store.get(session.scope, session.id)
    assert loaded == third
    assert [i.result is not None for i in loaded.interactions] == [True, True, True, False]


async def test_losing_writers_learn_it_and_nothing_they_meant_is_stored(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    winners = [await store.claim(session, answer(session)) for _ in range(3)]
    assert [w is not None for w in winners] == [True, False, False]
    assert await mongo_db["session_versions"].count_documents({}) == 1


async def test_a_claim_for_another_tenants_session_is_refused(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    moved = await _claimed(store, session)
    intruder = moved.model_copy(update={"account_id": "intruder"})
    assert await store.claim(intruder, intruder.model_copy()) is None
    with pytest.raises(ValueError, match="never change"):
        await store.claim(moved, intruder)
    stored = await store.get(session.scope, session.id)
    assert stored == moved
