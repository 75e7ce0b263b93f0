"""Orchestrator settings (``CTS_`` environment variables)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from cts_contracts import Step
from cts_core import STEPS
from cts_orchestrator.service import Policy
from cts_runtime.settings import ServiceSettings

RENAMED = ("INITIALIZE", "GENERATE", "RUN_TESTS", "FIX", "FINALIZE")
"""The per-step ``CTS_DEADLINE_<STEP>_S`` variables that ``CTS_STEP_DEADLINES_S`` replaced."""


class OrchestratorSettings(ServiceSettings):
    service_name: str = "orchestrator"
    max_in_flight: int = Field(
        default=64,
        ge=1,
        le=1024,
        description="Messages handled at once per topic (one at a time per session): its "
        "handlers wait on MongoDB and Kafka round trips, not CPU",
    )
    sweep_interval_s: float = Field(default=5.0, gt=0, description="How often the sweeper runs")
    outbox_grace_s: float = Field(
        default=10.0,
        gt=0,
        description="A replica that has not beaten for this long is gone: its outboxes older "
        "than this are re-published (it beats four times per period)",
    )
    session_retention_s: float = Field(
        default=30 * 24 * 3600,
        ge=0,
        description="Keep a finished session, its versions, agent claims and transcript this "
        "long after it finished, then delete them (0: keep everything forever); a request "
        "repeated after that starts a new session",
    )
    retention_sweep_interval_s: float = Field(
        default=600, gt=0, description="How often finished sessions past retention are deleted"
    )
    retention_batch: int = Field(
        default=50, ge=1, le=1000, description="Most sessions one retention pass deletes"
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
    step_deadlines_s: dict[Step, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="Deadlines of single steps in seconds, as JSON (e.g. "
        '{"run_tests": 1200}); a step not named keeps its default from cts_core.steps '
        "(initialize 600, prepare_project 900, generate_tests_and_fixtures 1800, run_tests 900, "
        "fix_compilation_errors 1800, finalize 600)",
    )
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

    @model_validator(mode="after")
    def _no_renamed_deadlines(self) -> Self:
        """A deadline set under its old name would be ignored without a word: refuse it."""
        old = [
            f"CTS_DEADLINE_{name}_S" for name in RENAMED if f"CTS_DEADLINE_{name}_S" in os.environ
        ]
        if old:
            raise ValueError(
                f"{', '.join(old)}: renamed; set CTS_STEP_DEADLINES_S as JSON instead, "
                'e.g. {"run_tests": 900}'
            )
        return self

    def policy(self) -> Policy:
        return Policy(self.deadlines(), self.max_step_retries, self.max_cas_retries)

    def deadlines(self) -> dict[Step, timedelta]:
        """Every step's deadline: the registry's default unless ``step_deadlines_s`` names it."""
        chosen = self.step_deadlines_s
        return {
            kind.step: timedelta(seconds=chosen[kind.step])
            if kind.step in chosen
            else kind.deadline
            for kind in STEPS
        }
