"""The local MongoDB-compatible server is real: unique indexes and compare-and-set."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


async def test_unique_index_violation_raises_duplicate_key_error(mongo_db: Any) -> None:
    sessions = mongo_db["sessions"]
    await sessions.create_index([("account_id", 1), ("request_id", 1)], unique=True)
    await sessions.insert_one({"_id": "s1", "account_id": "a", "request_id": "r"})

    with pytest.raises(DuplicateKeyError):
        await sessions.insert_one({"_id": "s2", "account_id": "a", "request_id": "r"})
    assert await sessions.count_documents({}) == 1


async def test_find_one_and_update_with_version_filter_is_compare_and_set(mongo_db: Any) -> None:
    sessions = mongo_db["sessions"]
    await sessions.insert_one({"_id": "s1", "version": 1, "status": "active"})

    won = await sessions.find_one_and_update(
        {"_id": "s1", "version": 1},
        {"$set": {"status": "complete"}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    stale = await sessions.find_one_and_update(
        {"_id": "s1", "version": 1},
        {"$set": {"status": "failed"}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )

    assert won is not None
    assert (won["version"], won["status"]) == (2, "complete")
    assert stale is None
    assert (await sessions.find_one({"_id": "s1"}))["status"] == "complete"
