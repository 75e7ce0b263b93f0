"""The real ports: the system clock, Kafka, and liveness from the instances' heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faststream.kafka import KafkaBroker

from cts_contracts.topics import topic
from cts_orchestrator.ports import Clock
from cts_store import Instances


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class KafkaPublisher:
    """Publishes outbox payloads byte for byte; waits for the broker's acknowledgement."""

    def __init__(self, broker: KafkaBroker, *, prefix: str) -> None:
        self._broker = broker
        self._prefix = prefix

    async def publish(self, topic_name: str, key: str, payload: bytes) -> None:
        await self._broker.publish(
            payload,
            topic=topic(topic_name, self._prefix),
            key=key.encode(),
            headers={"content-type": "application/json"},
        )


class BeatingInstances:
    """Alive: beat within ``within`` (the outbox grace period)."""

    def __init__(self, instances: Instances, clock: Clock, *, within: timedelta) -> None:
        self._instances = instances
        self._clock = clock
        self._within = within

    async def alive(self, instance_id: str) -> bool:
        return await self._instances.is_alive(
            instance_id, now=self._clock.now(), within=self._within
        )
