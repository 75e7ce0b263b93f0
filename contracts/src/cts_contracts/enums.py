"""Vocabulary shared by commands, results and the domain."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """The steps of a session, in the order a session meets them."""

    # cts_core.steps derives a session's path from this order.
    INITIALIZE = "initialize"
    PREPARE_PROJECT = "prepare_project"
    GENERATE_TESTS_AND_FIXTURES = "generate_tests_and_fixtures"
    RUN_TESTS = "run_tests"
    FIX_COMPILATION_ERRORS = "fix_compilation_errors"
    FINALIZE = "finalize"


class Executor(StrEnum):
    """The service that runs a step (``cts_core.steps`` says which runs which)."""

    AGENT = "agent"
    TESTS = "tests"
    GIT = "git"


class Expect(StrEnum):
    """What RunTests must see to be ``ok``: red, the tests compile and fail (the code is not
    written yet); green, they compile and pass; none, RunTests is skipped; auto, Initialize
    decides red or green from whether the component's source file exists."""

    RED = "red"
    GREEN = "green"
    NONE = "none"
    AUTO = "auto"
    """Decided by Initialize: red when the component's source file is absent at the base ref,
    green when it is there. Only a request says ``auto``; every command after Initialize
    carries the decision."""


class ResultStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    """The step ran and the workflow must react (e.g. compile errors)."""
    TRANSIENT = "transient"
    """Infrastructure failure worth a retry (API 5xx, network)."""


class SessionStatus(StrEnum):
    """A stored session's state. ``SessionFinished`` still admits ``cancelled`` (v1), which
    nothing sets: there is no way to cancel a session yet."""

    ACTIVE = "active"
    COMPLETE = "complete"
    FAILED = "failed"
