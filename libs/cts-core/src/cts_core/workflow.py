"""The pure decision: given a session, what happens next. No I/O, no clock.

The orchestrator is stateless: every replica reaches the same decision from the same
session.
"""

from __future__ import annotations

from dataclasses import dataclass

from cts_contracts import Expect, ResultStatus, RunTestsData, Step
from cts_core.model import Interaction, Session
from cts_core.resolved import expect_of
from cts_core.steps import STEPS, kind_of


@dataclass(frozen=True)
class Dispatch:
    step: Step
    attempt: int = 1
    fix_attempt: int = 0


@dataclass(frozen=True)
class Complete:
    pass


@dataclass(frozen=True)
class Fail:
    reason: str


@dataclass(frozen=True)
class Wait:
    """An interaction is in flight (or the session already ended): nothing to do."""


Decision = Dispatch | Complete | Fail | Wait


def steps(expect: Expect) -> tuple[Step, ...]:
    """The happy path; a ``repair`` step (FixCompilationErrors) is entered only from a
    failed RunTests."""
    wanted = ("always",) if expect is Expect.NONE else ("always", "with_tests")
    return tuple(kind.step for kind in STEPS if kind.placement in wanted)


def next_step(session: Session) -> Decision:
    if session.finished or session.in_flight is not None:
        return Wait()
    if not session.interactions:
        return Dispatch(steps(session.request.options.expect)[0])
    last = session.interactions[-1]
    assert last.result is not None  # in_flight is None, so the last one has its result
    status = last.result.status
    if status is ResultStatus.TRANSIENT:
        return _retry(session, last)
    if status is ResultStatus.ERROR:
        return _after_error(session, last)
    return _after_ok(session, last)


def _retry(session: Session, last: Interaction) -> Decision:
    if last.attempt <= session.max_step_retries:
        return Dispatch(last.step, attempt=last.attempt + 1, fix_attempt=last.fix_attempt)
    why = last.result.error_message or last.result.summary if last.result else "no result"
    return Fail(
        f"{_label(last.step)} did not succeed after {last.attempt} attempts "
        f"(temporary failures): {why}"
    )


def _after_error(session: Session, last: Interaction) -> Decision:
    why = (last.result.error_message or last.result.summary) if last.result else "no result"
    if last.step is Step.RUN_TESTS and _fixable(last):
        allowed = session.request.options.max_fix_attempts
        if last.fix_attempt < allowed:
            return Dispatch(Step.FIX_COMPILATION_ERRORS, fix_attempt=last.fix_attempt + 1)
        expect = expect_of(session).value
        return Fail(
            f"the tests still do not meet the '{expect}' expectation after {allowed} fix "
            f"attempt(s): {why}"
        )
    return Fail(f"{_label(last.step)} failed: {why}")


def _after_ok(session: Session, last: Interaction) -> Decision:
    if last.step is Step.FIX_COMPILATION_ERRORS:
        return Dispatch(Step.RUN_TESTS, fix_attempt=last.fix_attempt)
    path = steps(expect_of(session))
    if last.step not in path:
        return Fail(f"invalid interaction: {last.step.value} is not a step of this session")
    following = path.index(last.step) + 1
    if following == len(path):
        return Complete()
    return Dispatch(path[following], fix_attempt=last.fix_attempt)


def _fixable(run_tests: Interaction) -> bool:
    """A RunTests error the generated files cannot mend (the project's dependencies, its
    database, its Elixir requirement) says so; another fix attempt would only cost a model call."""
    data = run_tests.result.data if run_tests.result else None
    return not isinstance(data, RunTestsData) or data.fixable


def _label(step: Step) -> str:
    return kind_of(step).label
