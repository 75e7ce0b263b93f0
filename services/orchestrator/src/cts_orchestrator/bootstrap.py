"""One place that wires the orchestrator's service layer to its ports: ``app.py`` passes the
real adapters, the unit tests pass fakes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from cts_contracts import Step
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
from cts_orchestrator.service import SessionService
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
    *,
    deadlines: Mapping[Step, timedelta],
    max_step_retries: int = 2,
    max_cas_retries: int = 20,
    instance_id: str | None = None,
    liveness: Liveness | None = None,
    recorded: Recorded = nothing_recorded,
    recent: RecentSessions | None = None,
) -> Orchestrator:
    recent = recent if recent is not None else RecentSessions()
    relay = OutboxRelay(
        repository, documents, publisher, clock, recent,
        instance_id=instance_id or uuid.uuid4().hex, liveness=liveness,
    )  # fmt: skip
    service = SessionService(
        repository, documents, relay, clock, recent,
        deadlines=deadlines, max_step_retries=max_step_retries,
        max_cas_retries=max_cas_retries, recorded=recorded,
    )  # fmt: skip
    return Orchestrator(service, relay)
