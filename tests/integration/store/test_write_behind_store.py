"""Write-behind session documents on the real FerretDB: the document trails its claims, a
reader never does, and one whole write brings the document up to the newest version."""

from __future__ import annotations

from typing import Any

from cts_core import Session
from cts_store import SessionStore, WriteBehind
from cts_testing.session_builders import answer, start


async def _versions(store: SessionStore, count: int) -> tuple[Session, list[Session]]:
    """A new session and ``count`` versions claimed after it (none written to its document)."""
    session, _ = await store.create_or_get(start())
    versions: list[Session] = []
    for _ in range(count):
        previous = versions[-1] if versions else session
        claimed = await store.claim(previous, answer(previous))
        assert claimed is not None
        versions.append(claimed)
    return session, versions


async def test_versions_wait_for_the_flush_and_are_written_once_as_the_newest(
    mongo_db: Any,
) -> None:
    store = SessionStore(mongo_db)
    documents = WriteBehind(store, delay_s=60)
    session, (v1, v2, v3) = await _versions(store, 3)
    for version in (v1, v2, v3):
        await documents.later(version)

    raw = await mongo_db["sessions"].find_one({"_id": session.id})
    assert raw["version"] == 0, "nothing written before the flush"
    assert documents.pending == 1

    assert await documents.flush() == 1
    raw = await mongo_db["sessions"].find_one({"_id": session.id})
    assert raw["version"] == 3
    assert [i["result"] is not None for i in raw["interactions"]] == [True, True, True, False]
    assert await store.get(session.scope, session.id) == v3
    assert documents.pending == 0


async def test_a_whole_write_of_an_older_version_is_undone_for_readers(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    session, (v1, _, v3) = await _versions(store, 3)
    await store.write_documents([v3])
    await store.write_documents([v1])  # a late write from a replica that lost the session

    assert (await mongo_db["sessions"].find_one({"_id": session.id}))["version"] == 1
    assert await store.get(session.scope, session.id) == v3


async def test_the_end_is_written_at_once_and_supersedes_what_waits(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    documents = WriteBehind(store, delay_s=60)
    session, (v1, v2) = await _versions(store, 2)
    await documents.later(v1)

    await documents.now(v2)

    assert (await mongo_db["sessions"].find_one({"_id": session.id}))["version"] == 2
    assert documents.pending == 0, "the older version no longer waits to be written"
    assert await documents.flush() == 0
    assert (await mongo_db["sessions"].find_one({"_id": session.id}))["version"] == 2


async def test_a_version_another_replica_followed_is_never_written_back(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    stale = WriteBehind(store, delay_s=60)  # the replica that lost the session
    session, (v1, v2, v3) = await _versions(store, 3)
    await stale.later(v1)
    await store.write_documents([v3])  # the replica that took over wrote its document

    await stale.flush()

    raw = await mongo_db["sessions"].find_one({"_id": session.id})
    assert raw["version"] == 3, "version 1 was followed: not written over version 3"
    assert v2.version == 2


async def test_a_burst_of_documents_is_written_without_stalling_the_server(mongo_db: Any) -> None:
    """FerretDB v1 stops answering for good once one bulk write holds 100 replacements: a
    burst of 150 sessions' documents goes in bulks it can take."""
    store = SessionStore(mongo_db)
    documents = WriteBehind(store, delay_s=60)
    for _ in range(150):
        session, _ = await store.create_or_get(start())
        claimed = await store.claim(session, answer(session))
        assert claimed is not None
        await documents.later(claimed)
    assert await documents.flush() == 150
    assert await mongo_db["sessions"].count_documents({"version": 1}) == 150
