"""Wiring: broker, subscribers, store and sweeper for one orchestrator process."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from faststream import FastStream
from faststream.kafka.annotations import KafkaMessage

from cts_contracts import SessionRequested, StepCompleted
from cts_contracts.topics import SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_orchestrator.orchestrator import Orchestrator
from cts_orchestrator.ports import KafkaPublisher, SystemClock
from cts_orchestrator.settings import OrchestratorSettings
from cts_orchestrator.sweeper import Sweeper
from cts_runtime.broker import consumer_options, make_broker
from cts_runtime.decoding import decode, raw_body
from cts_runtime.guard import MessageGuard
from cts_runtime.logs import configure_logging
from cts_store import SessionStore, connect


class _Running:
    """What exists only between startup and shutdown."""

    orchestrator: Orchestrator
    sweeper_task: asyncio.Task[None]
    client: Any


def build_app(settings: OrchestratorSettings | None = None) -> FastStream:
    settings = settings or OrchestratorSettings()
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings, client_id=f"cts-orchestrator-{settings.instance_id}")
    guard = MessageGuard(broker, consumer=settings.service_name, topic_prefix=settings.topic_prefix,
                         max_failures=settings.max_handler_failures)  # fmt: skip
    running = _Running()

    # Steps are slow but the orchestrator's own handlers are quick: a short poll interval
    # detects a dead replica fast.
    # One group per topic: a subscription change on one topic then never rebalances the other.
    def options(group: str) -> dict[str, Any]:
        return consumer_options(settings, group=group) | {"max_poll_interval_ms": 60_000}

    async def on_requested(body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await running.orchestrator.on_session_requested(decode(SessionRequested, body).data)

        await guard.run(message, work)

    async def on_completed(body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await running.orchestrator.on_step_completed(decode(StepCompleted, body).data)

        await guard.run(message, work)

    broker.subscriber(topic(SESSION_REQUESTED, settings.topic_prefix), decoder=raw_body,
                      **options("orchestrator-requests"))(on_requested)  # fmt: skip
    broker.subscriber(topic(STEP_COMPLETED, settings.topic_prefix), decoder=raw_body,
                      **options("orchestrator-results"))(on_completed)  # fmt: skip

    async def startup() -> None:
        running.client = connect(
            settings.mongodb_uri.get_secret_value(), app_name="cts-orchestrator"
        )
        store = SessionStore(running.client[settings.mongodb_database])
        await store.ensure_indexes()
        clock = SystemClock()
        running.orchestrator = Orchestrator(
            store, KafkaPublisher(broker, prefix=settings.topic_prefix), clock,
            deadlines=settings.deadlines(), max_step_retries=settings.max_step_retries,
            max_cas_retries=settings.max_cas_retries,
            crash_after_record=settings.fault_injection == "crash-after-record",
            crash_step=settings.fault_injection_step,
        )  # fmt: skip
        sweeper = Sweeper(running.orchestrator, store, clock, interval_s=settings.sweep_interval_s,
                          outbox_grace_s=settings.outbox_grace_s)  # fmt: skip
        running.sweeper_task = asyncio.create_task(sweeper.run(), name="sweeper")

    async def shutdown() -> None:
        running.sweeper_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running.sweeper_task
        await running.client.close()

    return FastStream(broker, on_startup=[startup], on_shutdown=[shutdown])
