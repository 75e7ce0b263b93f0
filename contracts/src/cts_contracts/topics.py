"""Kafka topic names. A breaking change adds a ``.v2`` topic beside ``.v1``."""

from __future__ import annotations

from typing import Final

SESSION_REQUESTED: Final = "cts.session.requested.v1"
STEP_COMPLETED: Final = "cts.step.completed.v1"
AGENT_STEP_REQUESTED: Final = "cts.agent.step-requested.v1"
TESTS_STEP_REQUESTED: Final = "cts.tests.step-requested.v1"
GIT_STEP_REQUESTED: Final = "cts.git.step-requested.v1"
SESSION_FINISHED: Final = "cts.session.finished.v1"
DEADLETTER: Final = "cts.deadletter.v1"

ALL_TOPICS: Final = (
    SESSION_REQUESTED,
    STEP_COMPLETED,
    AGENT_STEP_REQUESTED,
    TESTS_STEP_REQUESTED,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    DEADLETTER,
)


def topic(name: str, prefix: str = "") -> str:
    """The physical topic: tests give each run its own prefix so runs never share topics."""
    return f"{prefix}{name}"
