"""Wiring: the orchestrator's two consumers, its store, sweeper, heartbeat, document and
retention loops, the database server's clock, and the real adapters behind its ports
(``bootstrap``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from faststream.kafka import KafkaBroker

from cts_contracts import SessionRequested, StepCompleted
from cts_contracts.topics import SESSION_REQUESTED, STEP_COMPLETED
from cts_orchestrator.adapters import BeatingInstances, KafkaPublisher
from cts_orchestrator.bootstrap import Orchestrator, bootstrap
from cts_orchestrator.collector import collect_forever
from cts_orchestrator.documents import write_documents_forever
from cts_orchestrator.faults import crash_after_record
from cts_orchestrator.ports import nothing_recorded
from cts_orchestrator.settings import OrchestratorSettings
from cts_orchestrator.sweeper import Sweeper
from cts_runtime.logs import get_logger
from cts_runtime.observability import MongoPing, ObservedAsgi
from cts_runtime.service import Late, Service, background
from cts_runtime.subscribe import subscribe
from cts_store import Instances, ServerClock, SessionStore, WriteBehind, connect
from cts_store.retention import Retention

log = get_logger(__name__)


def build_app(settings: OrchestratorSettings | None = None) -> ObservedAsgi:
    settings = settings or OrchestratorSettings()
    service = Service.create(settings, client_id=f"cts-orchestrator-{settings.instance_id}")
    running: Late[Orchestrator] = Late("the orchestrator")

    async def on_requested(event: SessionRequested) -> None:
        await running.get().service.on_session_requested(event.data)

    async def on_completed(event: StepCompleted) -> None:
        await running.get().service.on_step_completed(event.data)

    # One group per topic: a subscription change on one topic never rebalances the other.
    subscribe(service.broker, settings, topic_name=SESSION_REQUESTED, model=SessionRequested,
              handler=on_requested, group="orchestrator-requests")  # fmt: skip
    subscribe(service.broker, settings, topic_name=STEP_COMPLETED, model=StepCompleted,
              handler=on_completed, group="orchestrator-results")  # fmt: skip

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        async with _running(settings, service.broker) as orchestrator:
            running.set(orchestrator)
            try:
                yield
            finally:
                running.set(None)

    return service.app(lifespan, readiness=[MongoPing(settings.mongodb_uri.get_secret_value())])


@asynccontextmanager
async def _running(
    settings: OrchestratorSettings, broker: KafkaBroker
) -> AsyncIterator[Orchestrator]:
    """The orchestrator with its store, heartbeat, sweeper and document loop; at the end its
    outboxes and documents handed over, its client closed."""
    client = connect(
        settings.mongodb_uri.get_secret_value(),
        app_name="cts-orchestrator",
        max_connections=settings.mongodb_max_connections,
    )
    try:
        database = client[settings.mongodb_database]
        store, instances, clock = SessionStore(database), Instances(database), ServerClock(database)
        await store.ensure_indexes()
        await clock.sync()  # every time this replica writes is the database server's
        documents = WriteBehind(store, delay_s=settings.document_delay_s)
        crash = settings.fault_injection == "crash-after-record"
        orchestrator = bootstrap(
            store, documents, KafkaPublisher(broker, prefix=settings.topic_prefix), clock,
            settings.policy(),
            liveness=BeatingInstances(instances, clock,
                                      within=timedelta(seconds=settings.outbox_grace_s)),
            recorded=crash_after_record(settings.fault_injection_step) if crash
            else nothing_recorded,
        )  # fmt: skip
        sweeper = Sweeper(orchestrator, store, instances, clock,
                          interval_s=settings.sweep_interval_s,
                          outbox_grace_s=settings.outbox_grace_s)  # fmt: skip
        await sweeper.beat()  # alive before the first command it writes
        loops = {
            "heartbeat": sweeper.beat_forever(),
            "sweeper": sweeper.run(),
            "documents": write_documents_forever(documents),
            "clock": clock.keep_synced(),
        }
        if settings.session_retention_s > 0:
            retention = Retention(
                database,
                store,
                batch=settings.retention_batch,
                keep=timedelta(seconds=settings.session_retention_s),
            )
            loops["retention"] = collect_forever(
                retention, clock, interval_s=settings.retention_sweep_interval_s
            )
        async with background(**loops):  # fmt: skip
            yield orchestrator
        await _hand_over(orchestrator, instances)
    finally:
        await client.close()


async def _hand_over(orchestrator: Orchestrator, instances: Instances) -> None:
    """After the broker stopped (no handler runs): this replica's outboxes and pending
    documents, then its heartbeat. Failing that, the others re-send its outboxes:
    duplicates, never a loss."""
    try:
        await orchestrator.relay.release()
        await instances.leave(orchestrator.instance_id)
    except Exception:
        log.warning("could not hand over the outboxes at shutdown", exc_info=True)
