"""One place that wires the orchestrator's service layer to its ports: ``app.py`` passes the
real adapters, the unit tests pass fakes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cts_orchestrator.ports import (
    Clock,
    Documents,
    Liveness,
    Publisher,
    Recorded,
    SessionRepository,
    nothing_recorded,
)
from cts_orchestrator.relay import OutboxRelay
from cts_orchestrator.service import Policy, SessionService
from cts_store import RecentSessions


@dataclass(frozen=True)
class Orchestrator:
    service: SessionService
    relay: OutboxRelay

    @property
    def instance_id(self) -> str:
        return self.relay.instance_id


def bootstrap(
    repository: SessionRepository,
    documents: Documents,
    publisher: Publisher,
    clock: Clock,
    policy: Policy,
    *,
    instance_id: str | None = None,
    liveness: Liveness | None = None,
    recorded: Recorded = nothing_recorded,
) -> Orchestrator:
    """A random ``instance_id`` by default: a restarted process is a new writer, and the
    outboxes of the one before it count as orphaned once its heartbeat stops."""
    recent = RecentSessions()
    relay = OutboxRelay(repository, documents, publisher, clock, recent,
                        instance_id or uuid.uuid4().hex, liveness)  # fmt: skip
    service = SessionService(repository, documents, relay, clock, recent, policy, recorded)
    return Orchestrator(service, relay)
