"""What Initialize settled for the rest of a session: the expectation ``auto`` became and the
design documents found at the base ref (CodeMySpec's place when CTS's is empty).

Every later command carries these, never the request's raw values, so the agent, the
test-runner and the outcome agree on one expectation and one design file.
"""

from __future__ import annotations

from cts_contracts import (
    AgentData,
    Component,
    Expect,
    InitializeData,
    PrepareProjectData,
    ResultStatus,
    Step,
)
from cts_core.model import Session

MAX_WARNINGS = 50


def _initialized(session: Session) -> InitializeData | None:
    """The data of the successful Initialize, or ``None`` before it."""
    for interaction in session.interactions:
        result = interaction.result
        ok = result is not None and result.status is ResultStatus.OK
        if ok and result is not None and isinstance(result.data, InitializeData):
            return result.data
    return None


def decided_expect(session: Session) -> Expect | None:
    """The request's expectation, or what Initialize made of ``auto`` (``None`` before)."""
    requested = session.request.options.expect
    if requested is not Expect.AUTO:
        return requested
    found = _initialized(session)
    decided = found.expect if found else None
    return decided if decided is not Expect.AUTO else None


def expect_of(session: Session) -> Expect:
    """The expectation commands carry. A decision that never came (an older git-committer)
    counts as red, the default before ``auto``."""
    return decided_expect(session) or Expect.RED


def command_expect(session: Session, step: Step) -> Expect:
    """Initialize gets the request's (``auto`` is its to decide); every other step the decision."""
    return session.request.options.expect if step is Step.INITIALIZE else expect_of(session)


def component_of(session: Session) -> Component:
    """The request's component with the design paths Initialize found."""
    component = session.request.component
    found = _initialized(session)
    if found is None or not found.design_file:
        return component
    return component.model_copy(
        update={"design_file": found.design_file, "parent_design_file": found.parent_design_file}
    )


def warnings_of(session: Session) -> list[str]:
    """Every warning a step reported, in order, once each."""
    seen: list[str] = []
    for interaction in session.interactions:
        data = interaction.result.data if interaction.result else None
        if isinstance(data, InitializeData | PrepareProjectData | AgentData):
            seen += [warning for warning in data.warnings if warning not in seen]
    return seen[:MAX_WARNINGS]
