"""Every consumer's safety net: bad input is dead-lettered, infrastructure failures are
redelivered, and an unexpected error on one message is retried a bounded number of times
before that message is dead-lettered — never a crash loop, never a silent drop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pymongo.errors import ConnectionFailure, ExecutionTimeout

from cts_contracts import DeadLetter
from cts_contracts.topics import DEADLETTER, topic
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import get_logger

RETRYABLE: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # also a client-side operation timeout (NetworkTimeout)
    ExecutionTimeout,  # the server gave up within the operation's time limit
    KafkaError,
    ConnectionError,
)
"""Infrastructure that will come back: redeliver the message, do not give up on it."""

log = get_logger(__name__)


class MessageGuard:
    def __init__(
        self,
        broker: KafkaBroker,
        *,
        consumer: str,
        topic_prefix: str = "",
        max_failures: int = 5,
        retry_delay_s: float = 1.0,
    ) -> None:
        self._broker = broker
        self._consumer = consumer
        self._deadletter_topic = topic(DEADLETTER, topic_prefix)
        self._max_failures = max_failures
        self._retry_delay_s = retry_delay_s
        self._failures: dict[tuple[str, int, int], int] = {}

    async def run(self, message: KafkaMessage, work: Callable[[], Awaitable[Any]]) -> None:
        raw = message.raw_message
        where: tuple[str, int, int] = (raw.topic, raw.partition, raw.offset)  # type: ignore[union-attr]
        try:
            await work()
        except BadMessage as exc:
            await self.dead_letter(message, exc.reason)
        except RETRYABLE as exc:
            log.warning(
                "infrastructure unavailable; message will be redelivered",
                error=type(exc).__name__,
                topic=where[0],
                offset=where[2],
            )
            await asyncio.sleep(self._retry_delay_s)
            raise
        except Exception as exc:
            count = self._failures.get(where, 0) + 1
            self._failures[where] = count
            if count < self._max_failures:
                log.exception(
                    "handler failed; message will be redelivered",
                    attempt=count,
                    topic=where[0],
                    offset=where[2],
                )
                await asyncio.sleep(self._retry_delay_s * count)
                raise
            self._failures.pop(where, None)
            await self.dead_letter(
                message, f"handler failed {count} times: {type(exc).__name__}: {exc}"[:2000]
            )
        else:
            self._failures.pop(where, None)

    async def dead_letter(self, message: KafkaMessage, reason: str) -> None:
        raw = message.raw_message
        letter = DeadLetter.of(
            payload=message.body,
            topic=raw.topic,  # type: ignore[union-attr]
            partition=raw.partition,  # type: ignore[union-attr]
            offset=raw.offset,  # type: ignore[union-attr]
            key=raw.key,  # type: ignore[union-attr]
            reason=reason,
            consumer=self._consumer,
        )
        await self._broker.publish(letter, topic=self._deadletter_topic, key=raw.key)  # type: ignore[union-attr]
        log.warning(
            "message dead-lettered", reason=reason, topic=letter.topic, offset=letter.offset
        )
