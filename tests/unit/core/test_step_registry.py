"""The step registry is total, and every table derived from it covers every step: a step
added to ``Step`` without its entry fails mypy (``kind_of``) or one of these tests, never a
running session with a ``KeyError``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench import answers as bench_answers
from cts_agent_runner.service import AGENT_STEPS
from cts_contracts import (
    AgentData,
    Executor,
    FinalizeData,
    InitializeData,
    RunTestsData,
    Step,
    StepCompleted,
)
from cts_core import STEPS, command_topic, kind_of, steps_run_by
from cts_git_committer.service import HANDLERS
from cts_orchestrator.settings import OrchestratorSettings
from cts_testing.answers import sample_data
from cts_testing.factories import step_request


def test_every_step_has_one_kind_in_the_order_steps_are_declared() -> None:
    assert [kind.step for kind in STEPS] == list(Step)
    assert all(kind_of(kind.step) is kind for kind in STEPS)
    assert len({kind.label for kind in STEPS}) == len(STEPS)


def test_each_executor_runs_its_own_steps_from_its_own_topic() -> None:
    runs = {executor: steps_run_by(executor) for executor in Executor}
    assert set().union(*runs.values()) == set(Step)
    assert sum(len(steps) for steps in runs.values()) == len(Step)
    assert len({command_topic(executor) for executor in Executor}) == len(Executor)
    assert runs[Executor.GIT] == {Step.INITIALIZE, Step.FINALIZE}


def test_executor_dispatch_tables_cover_exactly_their_steps() -> None:
    assert set(HANDLERS) == steps_run_by(Executor.GIT)
    assert set(AGENT_STEPS) == steps_run_by(Executor.AGENT)


@pytest.mark.parametrize("step", list(Step))
def test_every_step_has_a_sample_answer_of_its_own_model(step: Step) -> None:
    data = sample_data(step)
    kind = kind_of(step)
    assert isinstance(data, kind.result)
    assert data.step == step.value
    assert kind.accepts(data)


def test_a_kind_accepts_only_its_own_data() -> None:
    agent = AgentData(step="generate_tests_and_fixtures")
    assert kind_of(Step.GENERATE_TESTS_AND_FIXTURES).accepts(agent)
    assert kind_of(Step.GENERATE_TESTS_AND_FIXTURES).accepts(None)
    assert not kind_of(Step.FIX_COMPILATION_ERRORS).accepts(agent)  # the other agent step
    assert not kind_of(Step.RUN_TESTS).accepts(agent)
    finalize = FinalizeData(commit_sha="c" * 40, branch="b")
    assert not kind_of(Step.INITIALIZE).accepts(finalize)
    assert kind_of(Step.INITIALIZE).accepts(InitializeData(branch="b", base_sha="a" * 40))
    assert kind_of(Step.RUN_TESTS).accepts(RunTestsData(compiled=True))


def test_the_orchestrator_has_a_deadline_for_every_step(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = OrchestratorSettings().deadlines()
    assert defaults == {kind.step: kind.deadline for kind in STEPS}
    assert defaults[Step.RUN_TESTS] == timedelta(seconds=900)
    monkeypatch.setenv("CTS_STEP_DEADLINES_S", '{"run_tests": 1200}')
    chosen = OrchestratorSettings().deadlines()
    assert chosen[Step.RUN_TESTS] == timedelta(seconds=1200)
    assert chosen[Step.FINALIZE] == defaults[Step.FINALIZE]


def test_a_deadline_set_under_its_old_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_DEADLINE_FIX_S", "60")
    with pytest.raises(ValueError, match="CTS_DEADLINE_FIX_S: renamed; set CTS_STEP_DEADLINES_S"):
        OrchestratorSettings()


def test_a_deadline_for_an_unknown_step_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_STEP_DEADLINES_S", '{"no_such_step": 60}')
    with pytest.raises(ValueError, match="step_deadlines_s"):
        OrchestratorSettings()


@pytest.mark.parametrize("step", list(Step))
def test_the_benchmark_answers_every_step_with_the_fakes_answer(step: Step) -> None:
    command = step_request(step).model_dump(mode="json")
    event = StepCompleted.model_validate_json(bench_answers.completion(command))
    assert event.data.data == sample_data(step)
