"""Whether an answer may be recorded: it must answer what was asked.

An answer names its interaction, step, executor kind, status and data; every one of them
is checked against the recorded command (the interaction) and the step registry before
anything changes. The ids are predictable (``uuid5`` sessions, ``<session>.<n>``
interactions), so an answer that merely names a live interaction proves nothing.
"""

from __future__ import annotations

from cts_contracts import ResultStatus, StepCompletedData
from cts_core.model import Interaction
from cts_core.steps import kind_of


def why_refused(asked: Interaction, answer: StepCompletedData) -> str | None:
    """``None`` when ``answer`` fits the command ``asked``, otherwise why not (a dead
    letter's reason)."""
    kind = kind_of(asked.step)
    where = f"interaction {asked.id} asked for {asked.step.value}"
    if answer.step is not asked.step:
        return f"{where}; the answer is for {answer.step.value}"
    if answer.executor_kind is not kind.executor:
        named = answer.executor_kind.value if answer.executor_kind else "no"
        return (
            f"{where}, which the {kind.executor.value} executor runs; the answer names "
            f"{named} executor kind"
        )
    if not kind.accepts(answer.data):
        got = answer.data.step if answer.data is not None else None
        return f"{where}; the answer carries {got} data, not {kind.result.__name__}"
    if answer.status is ResultStatus.OK and answer.data is None:
        return f"{where}; an ok answer must carry its {kind.result.__name__}"
    return None
