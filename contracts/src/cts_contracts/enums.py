"""Vocabulary shared by commands, results and the domain."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    INITIALIZE = "initialize"
    GENERATE_TESTS_AND_FIXTURES = "generate_tests_and_fixtures"
    RUN_TESTS = "run_tests"
    FIX_COMPILATION_ERRORS = "fix_compilation_errors"
    FINALIZE = "finalize"


class Executor(StrEnum):
    AGENT = "agent"
    TESTS = "tests"
    GIT = "git"


EXECUTOR_OF: dict[Step, Executor] = {
    Step.INITIALIZE: Executor.GIT,
    Step.GENERATE_TESTS_AND_FIXTURES: Executor.AGENT,
    Step.RUN_TESTS: Executor.TESTS,
    Step.FIX_COMPILATION_ERRORS: Executor.AGENT,
    Step.FINALIZE: Executor.GIT,
}


class Expect(StrEnum):
    """What RunTests must see to be ``ok`` (see DESIGN.md, expectation modes)."""

    RED = "red"
    GREEN = "green"
    NONE = "none"


class ResultStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    """The step ran and the workflow must react (e.g. compile errors)."""
    TRANSIENT = "transient"
    """Infrastructure failure worth a retry (API 5xx, network)."""


class SessionStatus(StrEnum):
    ACTIVE = "active"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
