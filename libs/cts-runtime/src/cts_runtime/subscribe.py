"""The one way a CTS service consumes a topic: decode the contract, guard the handler,
dead-letter what can never be handled, try again what may work later, and hold many
messages at once.

Every consumer (the orchestrator's two, each executor's commands, the git-committer's
cleanup) is ``subscribe(...)`` with a handler that takes the decoded event; the handler
never sees bytes and never decides what happens to a message that fails.
``_Consumer.on_message`` is the single place a message enters a service: it hands the
message to the subscription's ``Window`` (up to ``max_in_flight`` at once, one at a time per
key, offsets committed below the lowest unfinished message) and returns at once, so the
consumer keeps polling while handlers run.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from cts_contracts.topics import topic
from cts_runtime.broker import consumer_options
from cts_runtime.decoding import decode, raw_body
from cts_runtime.guard import MessageGuard
from cts_runtime.logs import get_logger
from cts_runtime.settings import ServiceSettings
from cts_runtime.window import Delivery, Window

M = TypeVar("M", bound=BaseModel)

Handler = Callable[[M], Awaitable[Any]]
"""Handles one decoded event; raises ``BadMessage`` for input it can never accept."""

log = get_logger(__name__)

_WINDOWS: WeakKeyDictionary[KafkaBroker, list[Window]] = WeakKeyDictionary()


def windows(broker: KafkaBroker) -> list[Window]:
    """The windows of every subscription made on ``broker``."""
    return list(_WINDOWS.get(broker, ()))


async def drain(broker: KafkaBroker) -> None:
    """Before the broker stops: every subscription's running handlers finish or are
    cancelled, and what finished is committed (``Window.drain``)."""
    await asyncio.gather(*(window.drain() for window in windows(broker)))


class _Consumer(Generic[M]):
    def __init__(
        self, model: type[M], handler: Handler[M], guard: MessageGuard, window: Window
    ) -> None:
        self._model = model
        self._handler = handler
        self._guard = guard
        self.window = window

    async def on_message(self, body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await self._handler(decode(self._model, body))

        async def settle() -> None:
            await self._guard.settle(message, work)

        consumer = message.consumer
        if not isinstance(consumer, AIOKafkaConsumer):
            await settle()  # FastStream's in-memory broker: no partitions, one at a time
            return
        raw = message.raw_message
        partition = TopicPartition(raw.topic, raw.partition)  # type: ignore[union-attr]
        key = raw.key if raw.key is not None else partition  # type: ignore[union-attr]
        self.window.accept(Delivery(partition, raw.offset, key, settle), consumer)  # type: ignore[union-attr]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, window: Window) -> None:
        self._window = window

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self._window.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        self._window.assigned(assigned)


def _kill_self() -> None:
    log.warning("fault injection: SIGKILL with a full window in flight")
    os.kill(os.getpid(), signal.SIGKILL)


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    *,
    topic_name: str,
    model: type[M],
    handler: Handler[M],
    group: str,
    consumer: str | None = None,
    max_in_flight: int | None = None,
) -> None:
    """Consume ``topic_name`` (a base name from ``cts_contracts.topics``) in the consumer
    group ``<group_prefix>-<group>``: each message is decoded as ``model`` and handed to
    ``handler``, up to ``max_in_flight`` (default: the service's setting) at once and one at a
    time per message key. Dead letters name ``consumer`` (default: the service) as the one
    that refused them.
    """
    guard = MessageGuard(
        broker,
        consumer=consumer or settings.service_name,
        topic_prefix=settings.topic_prefix,
        max_failures=settings.max_handler_failures,
    )
    window = Window(
        f"{group}/{topic_name}",
        limit=max_in_flight or settings.max_in_flight,
        grace_s=settings.drain_grace_s,
        on_refill=_kill_self if settings.fault_kill_at_full_window else None,
    )
    _WINDOWS.setdefault(broker, []).append(window)
    receiver = _Consumer(model, handler, guard, window)
    options = consumer_options(settings, group=group)
    broker.subscriber(
        topic(topic_name, settings.topic_prefix),
        decoder=raw_body,
        listener=_Rebalance(window),
        **options,
    )(receiver.on_message)
