"""CTS domain: sessions, interactions, the step registry and the pure workflow decision
(no I/O)."""

from cts_core.answers import why_refused
from cts_core.model import Interaction, OutboxItem, Result, Scope, Session
from cts_core.steps import STEPS, StepKind, command_topic, kind_of, steps_run_by
from cts_core.transitions import advance, mark_published, new_session, record_result
from cts_core.workflow import Complete, Decision, Dispatch, Fail, Wait, next_step, steps

__all__ = [
    "STEPS",
    "Complete",
    "Decision",
    "Dispatch",
    "Fail",
    "Interaction",
    "OutboxItem",
    "Result",
    "Scope",
    "Session",
    "StepKind",
    "Wait",
    "advance",
    "command_topic",
    "kind_of",
    "mark_published",
    "new_session",
    "next_step",
    "record_result",
    "steps",
    "steps_run_by",
    "why_refused",
]
