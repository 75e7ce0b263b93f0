"""The message guard: bad input dead-lettered, infrastructure retried until it is back, bugs
retried a bounded number of times."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from pymongo.errors import ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError

from cts_runtime.decoding import BadMessage
from cts_runtime.guard import MessageGuard


@dataclass
class Raw:
    topic: str = "cts.step.completed.v1"
    partition: int = 3
    offset: int = 42
    key: bytes = b"session-1"


@dataclass
class Message:
    body: bytes = b'{"x": 1}'
    raw_message: Raw = field(default_factory=Raw)


@dataclass
class Broker:
    published: list[tuple[Any, str]] = field(default_factory=list)

    async def publish(self, message: Any, *, topic: str, key: bytes | None = None) -> None:
        self.published.append((message, topic))


@dataclass
class FlakyBroker(Broker):
    """Refuses the first ``refusals`` publishes as an unreachable Kafka does."""

    refusals: int = 0

    async def publish(self, message: Any, *, topic: str, key: bytes | None = None) -> None:
        if self.refusals:
            self.refusals -= 1
            raise KafkaConnectionError("broker down")
        await super().publish(message, topic=topic, key=key)


def guard(broker: Broker, max_failures: int = 3) -> MessageGuard:
    return MessageGuard(
        broker,  # type: ignore[arg-type]  # a fake with the one method the guard calls
        consumer="orchestrator",
        topic_prefix="t1.",
        max_failures=max_failures,
        retry_delay_s=0,
    )


async def test_bad_message_goes_to_the_dead_letter_topic_with_the_reason() -> None:
    broker = Broker()

    async def work() -> None:
        raise BadMessage("schema-invalid StepCompleted: data.status: bad")

    await guard(broker).settle(Message(), work)  # type: ignore[arg-type]
    [(letter, topic)] = broker.published
    assert topic == "t1.cts.deadletter.v1"
    assert letter.reason == "schema-invalid StepCompleted: data.status: bad"
    assert (letter.topic, letter.partition, letter.offset, letter.key) == (
        "cts.step.completed.v1",
        3,
        42,
        "session-1",
    )
    assert json.loads(letter.payload_excerpt) == {"x": 1}
    assert letter.consumer == "orchestrator"


@pytest.mark.parametrize(
    "failure",
    [
        ServerSelectionTimeoutError("mongo down"),
        NetworkTimeout("timed out"),  # an operation past its client-side bound
        ExecutionTimeout("operation exceeded time limit", code=50),  # ... its server-side one
    ],
)
async def test_infrastructure_failures_are_retried_until_it_is_back_never_dead_lettered(
    failure: Exception,
) -> None:
    broker = Broker()
    calls: list[int] = []

    async def work() -> None:
        calls.append(1)
        if len(calls) <= 10:
            raise failure

    await guard(broker).settle(Message(), work)  # type: ignore[arg-type]
    assert len(calls) == 11
    assert broker.published == []


async def test_an_unexpected_error_is_retried_then_dead_lettered() -> None:
    broker = Broker()
    calls: list[int] = []

    async def work() -> None:
        calls.append(1)
        raise KeyError("bug")

    await guard(broker, max_failures=3).settle(Message(), work)  # type: ignore[arg-type]
    assert len(calls) == 3, "two retries, then the third failure dead-letters it"
    [(letter, _)] = broker.published
    assert letter.reason == "handler failed 3 times: KeyError: 'bug'"


async def test_an_error_that_goes_away_is_not_dead_lettered() -> None:
    broker = Broker()
    calls: list[int] = []

    async def work() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise KeyError("flaky")

    await guard(broker, max_failures=3).settle(Message(), work)  # type: ignore[arg-type]
    assert (len(calls), broker.published) == (3, [])


async def test_a_dead_letter_waits_for_kafka_to_come_back() -> None:
    broker = FlakyBroker(refusals=2)

    async def work() -> None:
        raise BadMessage("not a contract")

    await guard(broker).settle(Message(), work)  # type: ignore[arg-type]
    [(letter, _)] = broker.published
    assert (broker.refusals, letter.reason) == (0, "not a contract")


async def test_a_large_payload_is_capped_in_the_dead_letter() -> None:
    broker = Broker()

    async def work() -> None:
        raise BadMessage("too big")

    await guard(broker).settle(Message(body=b"x" * 200_000), work)  # type: ignore[arg-type]
    [(letter, _)] = broker.published
    assert letter.payload_size == 200_000
    assert letter.truncated is True
    assert len(letter.payload_excerpt) == 64 * 1024
