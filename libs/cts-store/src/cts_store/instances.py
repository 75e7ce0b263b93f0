"""Which orchestrator processes are alive: each one beats into ``orchestrator_instances``.

The outbox names the process that wrote it. While that process beats, it has published the
outbox or will (a failed publish fails its handler, and Kafka redelivers the message), so
recovery leaves the outbox alone; once it stops beating, any replica re-publishes. This is
what lets a published command stay in the outbox until the answer's own write removes it,
instead of costing a second write per step to mark it published.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from cts_store.collections import ORCHESTRATOR_INSTANCES

Document = dict[str, Any]


class Instances:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._instances: AsyncCollection[Document] = database[ORCHESTRATOR_INSTANCES]

    async def beat(self, instance_id: str, *, now: datetime) -> None:
        await self._instances.update_one(
            {"_id": instance_id}, {"$set": {"beat_at": now}}, upsert=True
        )

    async def leave(self, instance_id: str) -> None:
        """At a clean shutdown: the others take over its outboxes at their next sweep."""
        await self._instances.delete_one({"_id": instance_id})

    async def is_alive(self, instance_id: str, *, now: datetime, within: timedelta) -> bool:
        doc = await self._instances.find_one({"_id": instance_id})
        return doc is not None and doc["beat_at"] >= now - within

    async def alive(self, *, now: datetime, within: timedelta) -> set[str]:
        docs = await self._instances.find({"beat_at": {"$gte": now - within}}).to_list()
        return {str(d["_id"]) for d in docs}
