"""Small real-Kafka helpers for tests: publish a contract event, collect what a topic receives."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel


async def publish(
    bootstrap: str,
    topic: str,
    payload: BaseModel | bytes,
    *,
    key: str,
    security: dict[str, Any] | None = None,
) -> None:
    """``security``: aiokafka's SASL/TLS arguments (``Endpoints.kafka_options``)."""
    body = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, **(security or {})
    )
    try:
        await producer.start()
        await producer.send_and_wait(topic, body, key=key.encode())
    finally:
        await producer.stop()


async def delete_topics(
    bootstrap: str, prefix: str, security: dict[str, Any] | None = None
) -> list[str]:
    """Delete every topic named ``<prefix>...``: a test's private topics, at its end. A broker
    holding every test's six-partition topics runs out of heap within a few suites."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or {}))
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()


class Collector:
    """Reads topics from the beginning (no group) into ``events`` as decoded JSON."""

    def __init__(
        self, bootstrap: str, *topics: str, security: dict[str, Any] | None = None
    ) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            **(security or {}),
        )
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Collector:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            for tp, records in batch.items():
                for record in records:
                    try:
                        value = json.loads(record.value)
                    except ValueError:
                        value = {"_raw": record.value.decode("utf-8", "replace")}
                    self.events.append((tp.topic, value))

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [value for name, value in self.events if name == topic]

    async def wait_for(
        self, predicate: Callable[[list[tuple[str, dict[str, Any]]]], bool], within: float = 30
    ) -> None:
        """Poll until ``predicate(events)`` holds; fail with what arrived if it never does."""
        deadline = time.monotonic() + within
        while not predicate(self.events):
            if time.monotonic() > deadline:
                seen = [(t, v.get("type"), v.get("data", {}).get("status")) for t, v in self.events]
                raise AssertionError(f"timed out after {within}s; events seen: {seen}")
            await asyncio.sleep(0.05)
