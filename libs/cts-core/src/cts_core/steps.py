"""The step registry: the one table that says what each kind of step is.

Everything CTS knows per step is read from here: where the step sits on a session's path,
its label in reasons, the executor that runs it (and so the topic its command goes to), the
data model its answer carries, and its default deadline. The workflow, the orchestrator's
deadlines, each executor's dispatch, the fake executors and the benchmark's answers derive
their tables from it.

Adding a step kind: its ``Step`` value and its answer's data model (``cts_contracts``), a
``StepKind`` and a ``case`` here, and its handler in the executor that runs it. ``kind_of``
matches every ``Step``, so mypy fails on a step without an entry; the unit tests of each
derived table fail on a table that misses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, assert_never

from cts_contracts import Executor, Step, StepDataModel
from cts_contracts import topics as t
from cts_contracts.step_completed import (
    AgentData,
    FinalizeData,
    InitializeData,
    PrepareProjectData,
    RunTestsData,
)

Placement = Literal["always", "with_tests", "repair"]
"""On every session's path; on it unless the session expects no test run (``expect=none``);
or off the path, entered only to repair the step before it (FixCompilationErrors)."""


@dataclass(frozen=True)
class StepKind:
    step: Step
    label: str
    """How reasons and logs name the step (``RunTests``)."""
    executor: Executor
    result: type[StepDataModel]
    """The data model of an answer's ``data`` for this step."""
    deadline: timedelta
    """The default; the orchestrator's ``CTS_STEP_DEADLINES_S`` overrides it."""
    placement: Placement

    def accepts(self, data: StepDataModel | None) -> bool:
        """Whether ``data`` may be this step's answer (``None``, as a failure may carry, or
        this step's model naming this step)."""
        return data is None or (isinstance(data, self.result) and data.step == self.step.value)


INITIALIZE = StepKind(
    Step.INITIALIZE, "Initialize", Executor.GIT, InitializeData, timedelta(minutes=10), "always"
)
PREPARE = StepKind(
    Step.PREPARE_PROJECT,
    "PrepareProject",
    Executor.TESTS,
    PrepareProjectData,
    timedelta(minutes=15),
    "with_tests",
)
"""Before any model call: what would make every later RunTests fail whatever the tests say
(a dependency, the lock, the database, the Elixir requirement) ends the session here."""
GENERATE = StepKind(
    Step.GENERATE_TESTS_AND_FIXTURES,
    "GenerateTestsAndFixtures",
    Executor.AGENT,
    AgentData,
    timedelta(minutes=30),
    "always",
)
RUN_TESTS = StepKind(
    Step.RUN_TESTS, "RunTests", Executor.TESTS, RunTestsData, timedelta(minutes=15), "with_tests"
)
FIX = StepKind(
    Step.FIX_COMPILATION_ERRORS,
    "FixCompilationErrors",
    Executor.AGENT,
    AgentData,
    timedelta(minutes=30),
    "repair",
)
FINALIZE = StepKind(
    Step.FINALIZE, "Finalize", Executor.GIT, FinalizeData, timedelta(minutes=10), "always"
)


def kind_of(step: Step) -> StepKind:
    match step:
        case Step.INITIALIZE:
            return INITIALIZE
        case Step.PREPARE_PROJECT:
            return PREPARE
        case Step.GENERATE_TESTS_AND_FIXTURES:
            return GENERATE
        case Step.RUN_TESTS:
            return RUN_TESTS
        case Step.FIX_COMPILATION_ERRORS:
            return FIX
        case Step.FINALIZE:
            return FINALIZE
        case _:
            assert_never(step)


STEPS: tuple[StepKind, ...] = tuple(kind_of(step) for step in Step)
"""Every kind, in the order ``Step`` declares them: the order of a session's path."""


def command_topic(executor: Executor) -> str:
    """The topic an executor consumes its commands from (a base name)."""
    match executor:
        case Executor.AGENT:
            return t.AGENT_STEP_REQUESTED
        case Executor.TESTS:
            return t.TESTS_STEP_REQUESTED
        case Executor.GIT:
            return t.GIT_STEP_REQUESTED
        case _:
            assert_never(executor)


def steps_run_by(executor: Executor) -> frozenset[Step]:
    return frozenset(kind.step for kind in STEPS if kind.executor is executor)
