"""The version log: a claim is the compare-and-set, and a reader always gets the last claimed
version, even when the session document missed a write or got an older one late."""

from __future__ import annotations

from typing import Any

from cts_store import SessionStore
from cts_testing.session_builders import answer, start


async def test_a_writer_that_dies_after_its_claim_loses_nothing(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    claimed = await store.claim_changes(session, answer(session))
    assert claimed is not None  # ... and the writer dies before claimed.write()
    stale = await mongo_db["sessions"].find_one({"_id": session.id})
    assert stale["version"] == 0

    loaded = await store.get(session.scope, session.id)

    assert loaded == claimed.session
    repaired = await mongo_db["sessions"].find_one({"_id": session.id})
    assert repaired["version"] == 1
    assert repaired["interactions"][0]["result"]["status"] == "ok"
    assert await store.save_changes(session, answer(session)) is None, "version 1 is taken"


async def test_a_late_write_of_an_older_version_is_undone_by_the_claims_after_it(
    mongo_db: Any,
) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    slow = await store.claim_changes(session, answer(session))  # version 1, written late
    assert slow is not None
    caught_up = await store.get(session.scope, session.id)
    assert caught_up is not None
    second = await store.save_changes(caught_up, answer(caught_up))  # version 2
    assert second is not None
    third = await store.save_changes(second, answer(second))  # version 3
    assert third is not None

    await slow.write()  # puts version 1's change back over version 3
    regressed = await mongo_db["sessions"].find_one({"_id": session.id})
    assert regressed["version"] == 1

    loaded = await store.get(session.scope, session.id)
    assert loaded == third
    assert [i.result is not None for i in loaded.interactions] == [True, True, True, False]
    assert (await mongo_db["sessions"].find_one({"_id": session.id}))["version"] == 3


async def test_losing_writers_learn_it_and_nothing_they_meant_is_stored(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, _ = await store.create_or_get(start())
    winners = [await store.claim_changes(session, answer(session)) for _ in range(3)]
    assert [w is not None for w in winners] == [True, False, False]
    assert await mongo_db["session_versions"].count_documents({}) == 1
