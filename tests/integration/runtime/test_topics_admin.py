"""A test's topics go away with it: a shared broker otherwise keeps every test's partitions."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from cts_contracts.topics import ALL_TOPICS
from cts_runtime.topics_admin import ensure_topics
from cts_testing.kafka import delete_topics
from cts_testing.stack import Endpoints


async def _listed(bootstrap: str, prefix: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {name for name in await admin.list_topics() if name.startswith(prefix)}
    finally:
        await admin.close()


async def _until_listed(bootstrap: str, prefix: str, count: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while len(await _listed(bootstrap, prefix)) < count:
        assert time.monotonic() < deadline, f"{prefix} topics were never listed"
        await asyncio.sleep(0.2)


async def test_the_topics_under_a_prefix_are_deleted_and_no_others(stack: Endpoints) -> None:
    mine, theirs = f"del{uuid.uuid4().hex[:8]}.", f"keep{uuid.uuid4().hex[:8]}."
    bootstrap = stack.kafka_bootstrap_servers
    await ensure_topics(bootstrap, prefix=mine, partitions=1)
    await ensure_topics(bootstrap, prefix=theirs, partitions=1)
    for prefix in (mine, theirs):  # a new topic is listed a moment after it is created
        await _until_listed(bootstrap, prefix, len(ALL_TOPICS))
    try:
        deleted = await delete_topics(bootstrap, mine)
        assert sorted(deleted) == sorted(f"{mine}{name}" for name in ALL_TOPICS)
        assert len(await _listed(bootstrap, theirs)) == len(ALL_TOPICS)
    finally:
        await delete_topics(bootstrap, theirs)


async def test_topics_without_a_prefix_are_never_deleted(stack: Endpoints) -> None:
    with pytest.raises(ValueError, match="without a prefix"):
        await delete_topics(stack.kafka_bootstrap_servers, "")
