"""Every consumer's safety net: bad input is dead-lettered, infrastructure failures are
retried until the infrastructure is back, and an unexpected error on one message is retried a
bounded number of times before that message is dead-lettered — never a crash loop, never a
silent drop.

Retries happen in place, holding the message (and its key) in the window: with many
messages in flight, seeking a partition back would hand out again every later message of
it, finished or running. Its offset is not committed meanwhile, so a crash redelivers it.
"""

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
"""Infrastructure that will come back: try the message again, do not give up on it."""

MAX_OUTAGE_DELAY_S = 30.0

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

    async def settle(self, message: KafkaMessage, work: Callable[[], Awaitable[Any]]) -> None:
        """Run ``work`` for ``message`` until it succeeds or the message is dead-lettered."""
        raw = message.raw_message
        where = {"topic": raw.topic, "offset": raw.offset}  # type: ignore[union-attr]
        failures = outages = 0
        while True:
            try:
                await work()
                return
            except BadMessage as exc:
                reason = exc.reason
            except RETRYABLE as exc:
                outages += 1
                delay = self._outage_delay(outages)
                log.warning("infrastructure unavailable; the message is tried again",
                            error=type(exc).__name__, retry_in_s=delay, **where)  # fmt: skip
                await asyncio.sleep(delay)
                continue
            except Exception as exc:
                failures += 1
                if failures < self._max_failures:
                    log.exception("handler failed; the message is tried again",
                                  attempt=failures, **where)  # fmt: skip
                    await asyncio.sleep(self._retry_delay_s * failures)
                    continue
                reason = f"handler failed {failures} times: {type(exc).__name__}: {exc}"[:2000]
            await self._dead_letter_until_sent(message, reason)
            return

    def _outage_delay(self, outages: int) -> float:
        delay: float = self._retry_delay_s * 2 ** min(outages - 1, 10)
        return min(delay, MAX_OUTAGE_DELAY_S)

    async def _dead_letter_until_sent(self, message: KafkaMessage, reason: str) -> None:
        outages = 0
        while True:
            try:
                await self.dead_letter(message, reason)
                return
            except RETRYABLE as exc:
                outages += 1
                log.warning("could not dead-letter the message; trying again",
                            error=type(exc).__name__)  # fmt: skip
                await asyncio.sleep(self._outage_delay(outages))

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
