"""Every hot path of the store addresses a document by its ``_id``, on the promise that the
server answers that from the ``_id`` index, as MongoDB does. The local stack's FerretDB
(SQLite) did not: its filter and its index spelled the ``_id`` expression differently, and it
used the ``_id`` only when it was the filter's one key, so SQLite scanned and parsed every
document of the collection for each lookup (``deploy/local/ferretdb/build.sh``)."""

from __future__ import annotations

from typing import Any

import pytest

from cts_store import connect
from cts_testing.stack import Endpoints


async def test_a_lookup_by_id_is_answered_from_the_id_index(
    stack: Endpoints, namespace: str
) -> None:
    client = connect(stack.mongodb_uri, app_name="id-index-test")
    name = f"cts_{namespace}"
    docs = client[name]["docs"]
    try:
        if "ferretdbVersion" not in await client[name].command("buildInfo"):
            pytest.skip("not FerretDB: MongoDB answers _id lookups from its index")
        await docs.insert_many([{"_id": f"d{i}", "n": i} for i in range(20)])

        for where in ({"_id": "d7"}, {"_id": "d7", "n": 7}):  # a compare-and-set's shape
            explained: dict[str, Any] = await client[name].command(
                "explain", {"find": "docs", "filter": where}
            )
            plan = explained["queryPlanner"]["Plan"]
            assert any("USING INDEX" in step and "__id_" in step for step in plan), (where, plan)
            assert not any("detail=SCAN" in step for step in plan), (where, plan)

        # The same expression filters updates and deletes, and the rest of a filter still
        # decides: a compare-and-set on a stale value matches nothing.
        assert await docs.find_one({"_id": "d7"}) == {"_id": "d7", "n": 7}
        assert await docs.find_one({"_id": "d7", "n": 8}) is None
        assert (await docs.update_one({"_id": "d7", "n": 6}, {"$set": {"n": 0}})).matched_count == 0
        assert (await docs.delete_one({"_id": "d9", "n": 0})).deleted_count == 0
        assert await docs.count_documents({"_id": "d7", "n": 7}) == 1
        assert (
            await docs.update_one({"_id": "d7", "n": 7}, {"$set": {"n": 70}})
        ).modified_count == 1
        assert (await docs.replace_one({"_id": "d8"}, {"n": 80})).modified_count == 1
        assert (await docs.delete_one({"_id": "d9"})).deleted_count == 1
        assert {d["_id"]: d["n"] for d in await docs.find({}).to_list()} == {
            f"d{i}": {7: 70, 8: 80}.get(i, i) for i in range(20) if i != 9
        }
    finally:
        await client.drop_database(name)
        await client.close()
