"""The shape of grouped inserts, on an in-memory collection (the real store's answers are in
tests/integration/store/test_grouped_writes_store.py): nothing waits for a batch to fill, what
arrives while one is in flight goes in the next, and each caller gets its own answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import InsertOne
from pymongo.errors import AutoReconnect, BulkWriteError, OperationFailure

from cts_store.grouped_writes import GroupedWrites


class Collection:
    """bulk_write of inserts as the store answers it, held until released."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_with: Exception | None = None
        self.refused: set[str] = set()

    async def bulk_write(
        self, operations: list[InsertOne[dict[str, Any]]], *, ordered: bool
    ) -> None:
        assert ordered is False
        documents = [operation._doc for operation in operations]
        self.calls.append([doc["_id"] for doc in documents])
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        errors = []
        for index, doc in enumerate(documents):
            if doc["_id"] in self.refused:
                errors.append({"index": index, "code": 2, "errmsg": "refused"})
            elif doc["_id"] in self.ids:
                errors.append({"index": index, "code": 11000, "errmsg": "duplicate key"})
            else:
                self.ids.add(doc["_id"])
        if errors:
            raise BulkWriteError({"writeErrors": errors, "writeConcernErrors": []})


def _group(collection: Collection, **kwargs: Any) -> GroupedWrites:
    return GroupedWrites(collection, **kwargs)  # type: ignore[arg-type]


async def test_a_lone_insert_is_sent_at_once_and_answers_true_then_false() -> None:
    collection = Collection()
    group = _group(collection)
    assert await group.insert({"_id": "a"}) is True
    assert await group.insert({"_id": "a"}) is False
    assert collection.calls == [["a"], ["a"]]


async def test_what_arrives_during_an_insert_goes_in_the_next_in_batches_of_the_bound() -> None:
    collection = Collection()
    collection.release.clear()
    group = _group(collection, max_batch=3)
    first = asyncio.create_task(group.insert({"_id": "first"}))
    await asyncio.sleep(0)
    later = [asyncio.create_task(group.insert({"_id": f"n{i}"})) for i in range(5)]
    duplicate = asyncio.create_task(group.insert({"_id": "n1"}))
    await asyncio.sleep(0.01)
    assert collection.calls == [["first"]], "one command in flight at a time"
    collection.release.set()
    assert await first is True
    assert await asyncio.gather(*later) == [True] * 5
    assert await duplicate is False
    assert collection.calls == [["first"], ["n0", "n1", "n2"], ["n3", "n4", "n1"]]


async def _waiting_behind_one(
    collection: Collection, *ids: str
) -> tuple[asyncio.Task[bool], list[asyncio.Task[bool]]]:
    """An insert in flight (held by the collection) and ``ids`` asked while it is."""
    collection.release.clear()
    group = _group(collection)
    first = asyncio.create_task(group.insert({"_id": "first"}))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(group.insert({"_id": i})) for i in ids]
    await asyncio.sleep(0)
    return first, waiting


async def test_each_caller_gets_the_error_of_its_own_document() -> None:
    collection = Collection()
    collection.refused = {"bad"}
    first, (good, bad) = await _waiting_behind_one(collection, "good", "bad")
    collection.release.set()
    assert await first is True
    assert await good is True
    with pytest.raises(OperationFailure, match="refused"):
        await bad


async def test_a_failed_command_fails_its_callers_and_the_next_batch_still_goes() -> None:
    collection = Collection()
    collection.fail_with = AutoReconnect("connection reset")
    collection.release.clear()
    group = _group(collection)
    lost = [asyncio.create_task(group.insert({"_id": i})) for i in ("a", "b")]
    await asyncio.sleep(0)
    collection.release.set()
    for task in lost:
        with pytest.raises(AutoReconnect):
            await task
    collection.fail_with = None
    assert await group.insert({"_id": "a"}) is True


async def test_a_caller_that_stops_waiting_leaves_the_others_their_answers() -> None:
    collection = Collection()
    first, (gone, kept) = await _waiting_behind_one(collection, "gone", "kept")
    gone.cancel()
    collection.release.set()
    assert await first is True
    assert await kept is True
    assert gone.cancelled()
