"""The local Kafka is real: keyed messages, a two-member consumer group, committed offsets."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from cts_testing.stack import Endpoints

MESSAGES = 1000
PARTITIONS = 6


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, name: str, values: range) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        sends = [
            await producer.send(name, key=f"session-{i % 37}".encode(), value=str(i).encode())
            for i in values
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _consume_until(
    consumer: AIOKafkaConsumer, seen: list[int], partitions_seen: set[int], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        batch = await consumer.getmany(timeout_ms=200)
        for tp, records in batch.items():
            partitions_seen.add(tp.partition)
            seen.extend(int(r.value) for r in records)
        if batch:
            await consumer.commit()


async def _group_consume(
    bootstrap: str, name: str, group: str, expected: int
) -> tuple[list[int], list[set[int]]]:
    members = [
        AIOKafkaConsumer(
            name,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        for _ in range(2)
    ]
    seen: list[int] = []
    partitions: list[set[int]] = [set(), set()]
    stop = asyncio.Event()
    for member in members:
        await member.start()
    tasks = [
        asyncio.create_task(_consume_until(m, seen, partitions[i], stop))
        for i, m in enumerate(members)
    ]
    deadline = time.monotonic() + 60
    while len(seen) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # let a duplicate, if any, arrive before we stop
    stop.set()
    await asyncio.gather(*tasks)
    for member in members:
        await member.stop()
    return seen, partitions


async def test_two_member_group_sees_each_message_once_and_offsets_survive_restart(
    stack: Endpoints, namespace: str
) -> None:
    name = f"{namespace}.stack-check"
    await _create_topic(stack.kafka_bootstrap_servers, name)
    await _produce(stack.kafka_bootstrap_servers, name, range(MESSAGES))

    seen, partitions = await _group_consume(
        stack.kafka_bootstrap_servers, name, namespace, MESSAGES
    )

    assert Counter(seen) == Counter(range(MESSAGES)), "each message exactly once"
    assert all(partitions), "both members of the group received partitions"
    assert partitions[0].isdisjoint(partitions[1])
    assert partitions[0] | partitions[1] == set(range(PARTITIONS))

    # A restarted group resumes from its committed offsets: only the new messages arrive.
    await _produce(stack.kafka_bootstrap_servers, name, range(MESSAGES, MESSAGES + 100))
    seen_after, _ = await _group_consume(stack.kafka_bootstrap_servers, name, namespace, 100)
    assert sorted(seen_after) == list(range(MESSAGES, MESSAGES + 100))
