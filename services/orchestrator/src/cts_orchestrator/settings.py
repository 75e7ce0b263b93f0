"""Orchestrator settings (``CTS_`` environment variables)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from cts_contracts import Step
from cts_runtime.settings import ServiceSettings

_DEADLINE = "Seconds %s may take before the sweeper counts it as a transient failure"


class OrchestratorSettings(ServiceSettings):
    service_name: str = "orchestrator"
    sweep_interval_s: float = Field(default=5.0, gt=0, description="How often the sweeper runs")
    outbox_grace_s: float = Field(
        default=10.0,
        gt=0,
        description="A replica that has not beaten for this long is gone: its outboxes older "
        "than this are re-published (it beats four times per period)",
    )
    document_delay_s: float = Field(
        default=0.5,
        ge=0,
        le=10,
        description="How long a session document may trail its claimed version (one write "
        "per session per period however many steps it took; 0 writes every version at once)",
    )
    max_step_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of transient results"
    )
    max_cas_retries: int = Field(
        default=20, ge=1, description="Tries of one session write that lost a version race"
    )
    deadline_initialize_s: int = Field(default=600, ge=1, description=_DEADLINE % "Initialize")
    deadline_generate_s: int = Field(
        default=1800, ge=1, description=_DEADLINE % "GenerateTestsAndFixtures"
    )
    deadline_run_tests_s: int = Field(default=900, ge=1, description=_DEADLINE % "RunTests")
    deadline_fix_s: int = Field(default=1800, ge=1, description=_DEADLINE % "FixCompilationErrors")
    deadline_finalize_s: int = Field(default=600, ge=1, description=_DEADLINE % "Finalize")
    fault_injection: Literal["", "crash-after-record"] = Field(
        default="",
        description="Reliability tests only: SIGKILL this process right after recording a "
        "command and before publishing it",
    )
    fault_injection_step: Step | None = Field(
        default=None,
        description="Reliability tests only: with crash-after-record, crash only once the "
        "recorded command is for this step (default: the first command recorded)",
    )

    def deadlines(self) -> dict[Step, timedelta]:
        return {
            Step.INITIALIZE: timedelta(seconds=self.deadline_initialize_s),
            Step.GENERATE_TESTS_AND_FIXTURES: timedelta(seconds=self.deadline_generate_s),
            Step.RUN_TESTS: timedelta(seconds=self.deadline_run_tests_s),
            Step.FIX_COMPILATION_ERRORS: timedelta(seconds=self.deadline_fix_s),
            Step.FINALIZE: timedelta(seconds=self.deadline_finalize_s),
        }
