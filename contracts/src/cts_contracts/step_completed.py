"""``StepCompleted``: an executor's answer to one ``StepRequested``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import Field

from cts_contracts.enums import ResultStatus, Step
from cts_contracts.envelope import CloudEvent, Contract, Scoped
from cts_contracts.fields import RelativePath, ShortText, Text

STEP_COMPLETED_TYPE: Final = "dev.cts.step.completed.v1"

MAX_LISTED = 50
"""Lists in results are capped; the full output lives in an artifact."""


class Usage(Contract):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cache_read_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)


class InitializeData(Contract):
    step: Literal["initialize"] = "initialize"
    branch: ShortText
    base_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{40,64}$")]


class AgentData(Contract):
    """GenerateTestsAndFixtures and FixCompilationErrors."""

    step: Literal["generate_tests_and_fixtures", "fix_compilation_errors"]
    files_written: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    turns: int = Field(default=0, ge=0)
    usage: Usage = Field(default_factory=Usage)
    model: ShortText | None = None
    transcript_artifact_id: str | None = None


class Diagnostic(Contract):
    file: ShortText | None = None
    line: int | None = None
    message: Text
    severity: Literal["error", "warning"] = "error"


class TestCase(Contract):
    module: ShortText
    name: Text
    file: ShortText | None = None
    line: int | None = None
    state: Literal["passed", "failed", "skipped", "invalid", "excluded"]
    message: Text | None = None


class Alignment(Contract):
    score: float = Field(ge=0, le=1)
    missing: list[Text] = Field(default_factory=list, max_length=MAX_LISTED)
    unexpected: list[Text] = Field(default_factory=list, max_length=MAX_LISTED)


class RunTestsData(Contract):
    step: Literal["run_tests"] = "run_tests"
    compiled: bool
    timed_out: bool = False
    exit_code: int | None = None
    total: int = Field(default=0, ge=0)
    passed: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)
    skipped: int = Field(default=0, ge=0)
    invalid: int = Field(default=0, ge=0)
    compile_errors: list[Diagnostic] = Field(default_factory=list, max_length=MAX_LISTED)
    warnings: list[Diagnostic] = Field(default_factory=list, max_length=MAX_LISTED)
    tests: list[TestCase] = Field(default_factory=list, max_length=MAX_LISTED)
    alignment: Alignment | None = None
    report: str = Field(default="", max_length=60_000, description="What Fix shows the model")
    output_artifact_id: str | None = None
    duration_s: float = Field(default=0, ge=0)


class FinalizeData(Contract):
    step: Literal["finalize"] = "finalize"
    commit_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{40,64}$")]
    branch: ShortText
    files: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    ignored: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    pushed: bool = False


StepData = Annotated[
    InitializeData | AgentData | RunTestsData | FinalizeData, Field(discriminator="step")
]


class StepCompletedData(Scoped):
    session_id: str = Field(min_length=1, max_length=100)
    interaction_id: str = Field(min_length=1, max_length=100)
    step: Step
    status: ResultStatus
    summary: Text = Field(description="One or two lines a person can read")
    error_message: Text | None = None
    data: StepData | None = None
    executor: ShortText = Field(description="Which service instance answered")
    started_at: datetime
    completed_at: datetime


class StepCompleted(CloudEvent):
    type: Literal["dev.cts.step.completed.v1"] = STEP_COMPLETED_TYPE
    data: StepCompletedData
