"""``SessionFinished``: published exactly once when a session ends."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from cts_contracts.enums import Expect
from cts_contracts.envelope import CloudEvent, Contract, Scoped
from cts_contracts.fields import RelativePath, ShortText, Text
from cts_contracts.step_completed import Usage

SESSION_FINISHED_TYPE: Final = "dev.cts.session.finished.v1"


class Outcome(Contract):
    commit_sha: str | None = None
    branch: ShortText | None = None
    files: list[RelativePath] = Field(default_factory=list, max_length=50)
    fix_attempts: int = Field(default=0, ge=0)
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = Field(default=0, ge=0)
    expect: Expect | None = Field(
        default=None, description="The expectation the tests were held to (auto resolved)"
    )
    warnings: list[Text] = Field(
        default_factory=list, max_length=50, description="What the steps reported and let pass"
    )


class SessionFinishedData(Scoped):
    session_id: str = Field(min_length=1, max_length=100)
    request_id: str = Field(min_length=1, max_length=100)
    status: Literal["complete", "failed", "cancelled"]
    reason: Text | None = None
    outcome: Outcome
    started_at: datetime
    finished_at: datetime


class SessionFinished(CloudEvent):
    type: Literal["dev.cts.session.finished.v1"] = SESSION_FINISHED_TYPE
    data: SessionFinishedData
