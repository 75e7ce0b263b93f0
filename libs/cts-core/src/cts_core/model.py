"""The session aggregate: what the orchestrator knows about one session, and nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cts_contracts import (
    Outcome,
    ResultStatus,
    SessionRequestedData,
    SessionStatus,
    Step,
    StepData,
)


class Scope(BaseModel):
    """Tenant boundary carried by every store query: another account's session is not found."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    project_id: str


class Result(BaseModel):
    """An executor's answer (or the sweeper's verdict) as the session keeps it: ``data`` is
    the step's own contract model (``cts_core.steps`` says which)."""

    model_config = ConfigDict(frozen=True)

    status: ResultStatus
    summary: str
    error_message: str | None = None
    data: StepData | None = None
    executor: str | None = None
    started_at: datetime | None = None
    completed_at: datetime


class Interaction(BaseModel):
    """One attempt at one step. A retry is a new interaction, so an id is answered at most once."""

    model_config = ConfigDict(frozen=True)

    id: str
    step: Step
    attempt: int = Field(ge=1, description="Try number of this step (transient retries)")
    fix_attempt: int = Field(default=0, ge=0, description="Fix round this interaction belongs to")
    requested_at: datetime
    deadline: datetime
    result: Result | None = None


class OutboxItem(BaseModel):
    """A message recorded in the session before it is published (transactional outbox)."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: Literal["command", "finished"]
    topic: str
    key: str
    payload: str = Field(description="The serialized event, published byte for byte")


class Session(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    account_id: str
    project_id: str
    request_id: str
    type: str = "component_test"
    request: SessionRequestedData
    status: SessionStatus = SessionStatus.ACTIVE
    reason: str | None = None
    interactions: list[Interaction] = Field(default_factory=list)
    max_step_retries: int = Field(default=2, ge=0, le=10)
    outbox: list[OutboxItem] = Field(default_factory=list)
    outbox_since: datetime | None = None
    outbox_owner: str | None = Field(
        default=None,
        description="The orchestrator process that wrote the outbox and publishes it; "
        "recovery re-publishes only when that process is gone",
    )
    current_deadline: datetime | None = None
    last_test_report: str | None = Field(
        default=None, description="The newest RunTests report, which FixCompilationErrors reads"
    )
    outcome: Outcome | None = None
    version: int = 0
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @property
    def scope(self) -> Scope:
        return Scope(account_id=self.account_id, project_id=self.project_id)

    @property
    def finished(self) -> bool:
        return self.status is not SessionStatus.ACTIVE

    def interaction(self, interaction_id: str) -> Interaction | None:
        return next((i for i in self.interactions if i.id == interaction_id), None)

    @property
    def in_flight(self) -> Interaction | None:
        last = self.interactions[-1] if self.interactions else None
        return last if last is not None and last.result is None else None
