"""``StepRequested``: the orchestrator's command to one executor (one topic per executor).

It carries everything the executor needs: executors never read the session store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from cts_contracts.enums import Expect, Step
from cts_contracts.envelope import CloudEvent, Scoped
from cts_contracts.fields import RelativePath, ShortText, Text
from cts_contracts.session_requested import Component, Repository
from cts_contracts.test_command import TestCommand

STEP_REQUESTED_TYPE: Final = "dev.cts.step.requested.v1"

MAX_FILES = 500
"""Files one session's agent steps may have written (50 per step, up to 11 steps)."""

MAX_PREVIOUS_ERRORS = 60_000
"""Error text handed to Fix: enough for the model to act on, small enough for Kafka."""


class StepRequestedData(Scoped):
    session_id: str = Field(min_length=1, max_length=100)
    interaction_id: str = Field(min_length=1, max_length=100)
    step: Step
    attempt: int = Field(ge=1, le=100, description="1 for the first try of this interaction")
    fix_attempt: int = Field(default=0, ge=0, le=10, description="Which fix round this belongs to")
    workspace: RelativePath = Field(description="Relative to CTS_WORKSPACE_ROOT")
    component: Component
    repository: Repository
    branch: ShortText
    expect: Expect = Field(description="auto only for Initialize, which decides it")
    project_description: Text | None = None
    alignment_threshold: float | None = Field(default=None, ge=0, le=1)
    alignment_counts_extra_tests: bool | None = None
    require_test_assertions: bool = True
    model: ShortText | None = None
    test_command: TestCommand | None = None
    session_type: Literal["component_test"] = "component_test"
    previous_errors: str | None = Field(
        default=None,
        max_length=MAX_PREVIOUS_ERRORS,
        description="RunTests' report for FixCompilationErrors",
    )
    deadline: datetime = Field(description="After this the orchestrator treats the step as overdue")
    files: list[RelativePath] | None = Field(
        default=None,
        max_length=MAX_FILES,
        description="Finalize: every file the agent wrote in this session; exactly these (and "
        "the test and fixture files) are committed",
    )
    max_cost_usd: float | None = Field(
        default=None,
        gt=0,
        description="The session's model budget in USD (its request's option); None = the "
        "agent-runner's default",
    )
    spent_usd: float = Field(default=0.0, ge=0, description="What the session's earlier steps cost")


class StepRequested(CloudEvent):
    type: Literal["dev.cts.step.requested.v1"] = STEP_REQUESTED_TYPE
    data: StepRequestedData
