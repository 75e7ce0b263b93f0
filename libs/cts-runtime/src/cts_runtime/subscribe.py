"""The one way a CTS service consumes a topic: decode the contract, guard the handler,
dead-letter what can never be handled, redeliver what may work later.

Every consumer (the orchestrator's two, each executor's commands, the git-committer's
cleanup) is ``subscribe(...)`` with a handler that takes the decoded event; the handler
never sees bytes and never decides what happens to a message that fails. ``_Consumer.on_message``
is the single place a message enters a service, so per-key concurrency can be added there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from cts_contracts.topics import topic
from cts_runtime.broker import consumer_options
from cts_runtime.decoding import decode, raw_body
from cts_runtime.guard import MessageGuard
from cts_runtime.settings import ServiceSettings

M = TypeVar("M", bound=BaseModel)

Handler = Callable[[M], Awaitable[Any]]
"""Handles one decoded event; raises ``BadMessage`` for input it can never accept."""


class _Consumer(Generic[M]):
    def __init__(self, model: type[M], handler: Handler[M], guard: MessageGuard) -> None:
        self._model = model
        self._handler = handler
        self._guard = guard

    async def on_message(self, body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await self._handler(decode(self._model, body))

        await self._guard.run(message, work)


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    *,
    topic_name: str,
    model: type[M],
    handler: Handler[M],
    group: str,
    consumer: str | None = None,
    max_poll_interval_ms: int | None = None,
) -> None:
    """Consume ``topic_name`` (a base name from ``cts_contracts.topics``) in the consumer
    group ``<group_prefix>-<group>``: each message is decoded as ``model`` and handed to
    ``handler``. Dead letters name ``consumer`` (default: the service) as the one that
    refused them.

    ``max_poll_interval_ms`` defaults to a step's deadline (``consumer_options``); a
    consumer whose handlers are quick passes less, so a stalled member leaves the group fast.
    """
    guard = MessageGuard(
        broker,
        consumer=consumer or settings.service_name,
        topic_prefix=settings.topic_prefix,
        max_failures=settings.max_handler_failures,
    )
    options = consumer_options(settings, group=group)
    if max_poll_interval_ms is not None:
        options["max_poll_interval_ms"] = max_poll_interval_ms
    receiver = _Consumer(model, handler, guard)
    broker.subscriber(topic(topic_name, settings.topic_prefix), decoder=raw_body, **options)(
        receiver.on_message
    )
