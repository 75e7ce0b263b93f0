"""``subscribe``'s window on the real broker: one partition holds many messages at once (one
at a time per key), the group's commit ends at the last message, and a shutdown with a handler
still running commits only below it, so the next member receives it again."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel

from cts_contracts.topics import SESSION_FINISHED, topic
from cts_runtime.service import Service
from cts_runtime.settings import ServiceSettings
from cts_runtime.subscribe import subscribe
from cts_runtime.topics_admin import ensure_topics
from cts_testing.kafka import delete_topics, publish
from cts_testing.stack import Endpoints


class Probe(BaseModel):
    n: int
    hold_s: float


@dataclass
class Record:
    started: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    most_at_once: int = 0

    @property
    def running(self) -> int:
        return len(self.started) - len(self.ended)


@contextlib.asynccontextmanager
async def one_partition(stack: Endpoints) -> AsyncIterator[str]:
    prefix = f"w{uuid.uuid4().hex[:10]}."
    await ensure_topics(stack.kafka_bootstrap_servers, prefix=prefix, partitions=1)
    try:
        yield prefix
    finally:
        with contextlib.suppress(Exception):
            await delete_topics(stack.kafka_bootstrap_servers, prefix)


@contextlib.asynccontextmanager
async def consuming(
    stack: Endpoints, prefix: str, record: Record, *, limit: int, grace_s: float = 5
) -> AsyncIterator[None]:
    settings = ServiceSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers, topic_prefix=prefix,
        group_prefix=prefix.rstrip("."), service_name="window-test", drain_grace_s=grace_s,
    )  # fmt: skip
    service = Service.create(settings, client_id="window-test")

    async def handler(probe: Probe) -> None:
        record.started.append(probe.n)
        record.most_at_once = max(record.most_at_once, record.running)
        await asyncio.sleep(probe.hold_s)
        record.ended.append(probe.n)

    subscribe(service.broker, settings, topic_name=SESSION_FINISHED, model=Probe,
              handler=handler, group="probe", max_in_flight=limit)  # fmt: skip
    app = service.app(readiness=())
    await app.start()
    try:
        yield
    finally:
        await app.stop()


async def send(stack: Endpoints, prefix: str, probes: list[tuple[str, Probe]]) -> None:
    for key, probe in probes:
        body = probe.model_dump_json().encode()
        await publish(stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, prefix), body, key=key)


async def committed(stack: Endpoints, prefix: str) -> int | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(f"{prefix.rstrip('.')}-probe")
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(topic(SESSION_FINISHED, prefix), 0))
    return None if found is None else found.offset


async def until(predicate: object, within: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_one_partition_runs_many_messages_at_once_one_per_key_and_commits_to_the_end(
    stack: Endpoints,
) -> None:
    record = Record()
    probes = [(f"k{n}", Probe(n=n, hold_s=0.4)) for n in range(10)]
    probes += [("k0", Probe(n=10, hold_s=0.4)), ("k0", Probe(n=11, hold_s=0.4))]
    async with one_partition(stack) as prefix:
        await send(stack, prefix, probes)
        async with consuming(stack, prefix, record, limit=4):
            await until(lambda: len(record.ended) == 12)
        assert await committed(stack, prefix) == 12
    assert sorted(record.started) == list(range(12)), "each message handled once"
    assert record.most_at_once == 4, "the window filled, and never went past its limit"
    same_key = [n for n in record.started if n in (0, 10, 11)]
    assert same_key == [0, 10, 11]
    for earlier, later in ((0, 10), (10, 11)):
        assert record.ended.index(earlier) < record.started.index(later), "one at a time"


async def test_a_shutdown_commits_below_the_running_message_and_the_next_member_gets_it(
    stack: Endpoints,
) -> None:
    first, second = Record(), Record()
    probes = [(f"k{n}", Probe(n=n, hold_s=60 if n == 3 else 0.05)) for n in range(6)]
    async with one_partition(stack) as prefix:
        await send(stack, prefix, probes)
        async with consuming(stack, prefix, first, limit=3, grace_s=0.5):
            await until(lambda: sorted(first.ended) == [0, 1, 2, 4, 5])
        assert first.started.count(3) == 1
        assert 3 not in first.ended, "cancelled at shutdown"
        assert await committed(stack, prefix) == 3
        async with consuming(stack, prefix, second, limit=3, grace_s=0.5):
            await until(lambda: len(second.started) >= 3)
            await asyncio.sleep(1)  # anything else would arrive by now
    assert sorted(second.started) == [3, 4, 5], "from the lowest unfinished message on"
