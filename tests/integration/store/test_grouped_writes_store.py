"""Concurrent inserts go to the real store together, and each caller learns whether its own
document went in: taken ids (before, or twice in one batch) answer False, the rest True."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne, monitoring

from cts_store.grouped_writes import GroupedWrites
from cts_testing.stack import Endpoints


class _Inserts(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.commands += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_concurrent_inserts_share_commands_and_get_their_own_answers(
    stack: Endpoints, mongo_db: Any
) -> None:
    listener = _Inserts()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stack.mongodb_uri, event_listeners=[listener]
    )
    collection = client[mongo_db.name]["claims"]
    await collection.insert_one({"_id": "s#3"})
    ids = [f"s#{n}" for n in range(60)] + ["s#7", "s#8"]  # 3 stored; 7 and 8 asked twice
    group = GroupedWrites(collection, max_batch=25)
    listener.commands = 0
    try:
        answers = await asyncio.gather(
            *(group.insert({"_id": i, "n": n}) for n, i in enumerate(ids))
        )
        stored = {doc["_id"] for doc in await collection.find({}, {"_id": 1}).to_list()}
    finally:
        await client.close()
    by_id: dict[str, list[bool]] = {}
    for document_id, answer in zip(ids, answers, strict=True):
        by_id.setdefault(document_id, []).append(answer)
    assert by_id.pop("s#3") == [False]
    assert sorted(by_id.pop("s#7")) == [False, True]
    assert sorted(by_id.pop("s#8")) == [False, True]
    assert all(answer == [True] for answer in by_id.values())
    assert stored == set(ids)
    # A lone first insert, then what waited meanwhile in batches of at most 25.
    assert 1 < listener.commands <= 1 + 3


async def test_mixed_writes_in_one_group_each_get_their_own_answer(mongo_db: Any) -> None:
    """Inserts, upserts and replacements asked together: the store runs them as separate
    commands, and a duplicate among them still answers its own caller."""
    collection = mongo_db["transcripts"]
    await collection.insert_one({"_id": "taken", "v": 0})
    await collection.insert_one({"_id": "replaced", "v": 0})
    group = GroupedWrites(collection)
    first = asyncio.create_task(group.insert({"_id": "first"}))
    await asyncio.sleep(0)  # in flight: the rest waits and goes together
    answers = await asyncio.gather(
        group.insert({"_id": "taken", "v": 1}),
        group.write(UpdateOne({"_id": "upserted"}, {"$set": {"v": 2}}, upsert=True)),
        group.insert({"_id": "new", "v": 3}),
        group.write(ReplaceOne({"_id": "replaced"}, {"v": 4}, upsert=True)),
        group.insert({"_id": "new", "v": 5}),
    )
    assert await first is True
    assert list(answers) == [False, True, True, True, False]
    stored = {doc["_id"]: doc.get("v") for doc in await collection.find({}).to_list()}
    assert stored == {"taken": 0, "replaced": 4, "first": None, "upserted": 2, "new": 3}
