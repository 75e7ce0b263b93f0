"""``StepCompleted``: an executor's answer to one ``StepRequested``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import ConfigDict, Field, JsonValue

from cts_contracts.enums import Executor, Expect, ResultStatus, Step
from cts_contracts.envelope import CloudEvent, Contract, Scoped
from cts_contracts.fields import RelativePath, ShortText, Text

STEP_COMPLETED_TYPE: Final = "dev.cts.step.completed.v1"

MAX_LISTED = 50
"""Lists in results are capped: a result is a summary, not the whole output."""

SAMPLE_SHA = "c0ffee" + "0" * 34
TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"
BRANCH = "component-test-session-for-userrepository"


def _example(**values: JsonValue) -> ConfigDict:
    """One example per step data model: documentation for a client reading the JSON Schema,
    and the answer the fake executors and the benchmark give (so they can never disagree
    with the contract)."""
    return ConfigDict(json_schema_extra={"examples": [values]})


class Usage(Contract):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cache_read_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)


class InitializeData(Contract):
    model_config = _example(step="initialize", branch=BRANCH, base_sha=SAMPLE_SHA)

    step: Literal["initialize"] = "initialize"
    branch: ShortText
    base_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{40,64}$")]
    expect: Expect | None = Field(
        default=None, description="The expectation in force: the request's, or what auto became"
    )
    design_file: RelativePath | None = Field(
        default=None, description="The design document found at the base ref, read by every step"
    )
    design_format: Literal["cts", "codemyspec"] | None = None
    parent_design_file: RelativePath | None = Field(
        default=None, description="The parent context's design found at the base ref, if any"
    )
    test_assertions: int | None = Field(
        default=None, ge=0, description="How many tests the design's Test Assertions list"
    )
    warnings: list[Text] = Field(
        default_factory=list, max_length=MAX_LISTED, description="Kept in the session's outcome"
    )


class AgentData(Contract):
    """GenerateTestsAndFixtures and FixCompilationErrors."""

    model_config = _example(
        step="generate_tests_and_fixtures",
        files_written=[TEST_FILE, FIXTURE_FILE],
        turns=3,
        usage={"input_tokens": 5200, "output_tokens": 1800, "cost_usd": 0.0426},
        model="claude-sonnet-5-5",
    )

    step: Literal["generate_tests_and_fixtures", "fix_compilation_errors"]
    files_written: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    turns: int = Field(default=0, ge=0)
    usage: Usage = Field(default_factory=Usage)
    model: ShortText | None = None
    transcript_artifact_id: str | None = None
    rules: list[ShortText] = Field(
        default_factory=list,
        max_length=MAX_LISTED,
        description="The rules given to the model, by path (built-in/<file> for CTS's own)",
    )
    warnings: list[Text] = Field(
        default_factory=list, max_length=MAX_LISTED, description="E.g. rule files skipped, and why"
    )


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


class Toolchain(Contract):
    elixir: ShortText = Field(description="Elixir version, e.g. 1.14.0")
    otp: ShortText = Field(description="Erlang/OTP version, e.g. 25.2.3")


class RunTestsData(Contract):
    model_config = _example(
        step="run_tests", compiled=True, exit_code=2, total=2, failed=2, duration_s=1.5
    )

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
    output_artifact_id: str | None = Field(
        default=None, description="Unused (no artifact store); kept so v1 answers stay valid"
    )
    duration_s: float = Field(default=0, ge=0)
    toolchain: Toolchain | None = Field(
        default=None, description="The Elixir and Erlang/OTP the run used (absent: unknown)"
    )
    fixable: bool = Field(
        default=True,
        description="false: the run failed for a reason the generated test and fixture files "
        "cannot change (the project's dependencies, its database, its Elixir requirement); the "
        "session then ends without a fix attempt",
    )


class PrepareProjectData(Contract):
    """What the test-runner found before any test was written: the project's dependencies
    fetched and compiled (or reused), the project compiled, and its database reached when it
    uses one. A problem none of the session's files can change fails the step, so the session
    ends before Generate spends a model call."""

    model_config = _example(
        step="prepare_project",
        dependencies="fetched",
        compiled=True,
        duration_s=2.5,
        toolchain={"elixir": "1.14.0", "otp": "25"},
    )

    step: Literal["prepare_project"] = "prepare_project"
    dependencies: Literal["none", "fetched", "reused"] = Field(
        default="none",
        description="none: the project has no mix.lock; fetched: fetched and compiled now; "
        "reused: a cached entry for this lock and toolchain was used as it was",
    )
    compiled: bool = Field(
        default=True,
        description="Whether the project compiled before any test was written (false is a "
        "warning: RunTests reports it)",
    )
    databases: int = Field(default=0, ge=0, description="Databases the project created")
    duration_s: float = Field(default=0, ge=0)
    toolchain: Toolchain | None = None
    report: str = Field(
        default="", max_length=20_000, description="The end of what the commands printed"
    )
    warnings: list[Text] = Field(
        default_factory=list, max_length=MAX_LISTED, description="Kept in the session's outcome"
    )


class FinalizeData(Contract):
    model_config = _example(
        step="finalize", commit_sha=SAMPLE_SHA, branch=BRANCH, files=[TEST_FILE], pushed=True
    )

    step: Literal["finalize"] = "finalize"
    commit_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{40,64}$")]
    branch: ShortText
    files: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    ignored: list[RelativePath] = Field(default_factory=list, max_length=MAX_LISTED)
    pushed: bool = False


StepDataModel: TypeAlias = (
    InitializeData | PrepareProjectData | AgentData | RunTestsData | FinalizeData
)
"""What a step answers with; ``cts_core.steps`` says which model belongs to which step."""

StepData = Annotated[StepDataModel, Field(discriminator="step")]


class StepCompletedData(Scoped):
    session_id: str = Field(min_length=1, max_length=100)
    interaction_id: str = Field(min_length=1, max_length=100)
    step: Step
    status: ResultStatus
    summary: Text = Field(description="One or two lines a person can read")
    error_message: Text | None = None
    data: StepData | None = None
    executor: ShortText = Field(description="Which service instance answered")
    executor_kind: Executor | None = Field(
        default=None,
        description="The kind of executor that answered (agent, tests, git). The orchestrator "
        "records an answer only from the kind that runs its step, so an answer without it is "
        "dead-lettered (optional here only so that v1 stays compatible)",
    )
    started_at: datetime
    completed_at: datetime


class StepCompleted(CloudEvent):
    type: Literal["dev.cts.step.completed.v1"] = STEP_COMPLETED_TYPE
    data: StepCompletedData
