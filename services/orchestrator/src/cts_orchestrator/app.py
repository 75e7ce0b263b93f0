"""Wiring: broker, subscribers, store and sweeper for one orchestrator process."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from faststream import FastStream
from faststream.kafka.annotations import KafkaMessage

from cts_contracts import SessionRequested, StepCompleted
from cts_contracts.topics import SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_orchestrator.adapters import BeatingInstances, KafkaPublisher, SystemClock
from cts_orchestrator.bootstrap import Orchestrator, bootstrap
from cts_orchestrator.documents import write_documents_forever
from cts_orchestrator.faults import crash_after_record
from cts_orchestrator.ports import nothing_recorded
from cts_orchestrator.settings import OrchestratorSettings
from cts_orchestrator.sweeper import Sweeper
from cts_runtime.broker import consumer_options, make_broker
from cts_runtime.decoding import decode, raw_body
from cts_runtime.guard import MessageGuard
from cts_runtime.logs import configure_logging, get_logger
from cts_store import Instances, SessionStore, WriteBehind, connect

log = get_logger(__name__)


class _Running:
    """What exists only between startup and shutdown."""

    orchestrator: Orchestrator
    instances: Instances
    tasks: list[asyncio.Task[None]]
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
            await running.orchestrator.service.on_session_requested(
                decode(SessionRequested, body).data
            )

        await guard.run(message, work)

    async def on_completed(body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await running.orchestrator.service.on_step_completed(decode(StepCompleted, body).data)

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
        running.instances = Instances(running.client[settings.mongodb_database])
        grace = timedelta(seconds=settings.outbox_grace_s)
        documents = WriteBehind(store, delay_s=settings.document_delay_s)
        crash = settings.fault_injection == "crash-after-record"
        running.orchestrator = bootstrap(
            store, documents, KafkaPublisher(broker, prefix=settings.topic_prefix), clock,
            deadlines=settings.deadlines(), max_step_retries=settings.max_step_retries,
            max_cas_retries=settings.max_cas_retries,
            liveness=BeatingInstances(running.instances, clock, within=grace),
            recorded=crash_after_record(settings.fault_injection_step) if crash
            else nothing_recorded,
        )  # fmt: skip
        sweeper = Sweeper(running.orchestrator, store, running.instances, clock,
                          interval_s=settings.sweep_interval_s,
                          outbox_grace_s=settings.outbox_grace_s)  # fmt: skip
        await sweeper.beat()  # alive before the first command it writes
        running.tasks = [
            asyncio.create_task(sweeper.beat_forever(), name="heartbeat"),
            asyncio.create_task(sweeper.run(), name="sweeper"),
            asyncio.create_task(write_documents_forever(documents), name="documents"),
        ]

    async def shutdown() -> None:
        """After the broker stopped: no handler runs any more."""
        for task in running.tasks:
            task.cancel()
        for task in running.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await running.orchestrator.relay.release()
            await running.instances.leave(running.orchestrator.instance_id)
        except Exception:  # the others then re-publish this replica's outboxes: duplicates only
            log.warning("could not hand over the outboxes at shutdown", exc_info=True)
        await running.client.close()

    return FastStream(broker, on_startup=[startup], after_shutdown=[shutdown])
