"""The workflow decision table: every branch of next_step and the transitions around it."""

from __future__ import annotations

import json

import pytest

from cts_contracts import (
    AgentData,
    Expect,
    FinalizeData,
    ResultStatus,
    RunTestsData,
    SessionStatus,
    Step,
    Usage,
)
from cts_core import (
    Complete,
    Dispatch,
    Fail,
    Result,
    Wait,
    advance,
    mark_published,
    next_step,
    record_result,
    steps,
)
from cts_testing.session_builders import DEADLINES, T0, answer, at_run_tests, start

OK, ERROR, TRANSIENT = ResultStatus.OK, ResultStatus.ERROR, ResultStatus.TRANSIENT


def trail(session: object) -> list[str]:
    return [i.step.value for i in session.interactions]  # type: ignore[attr-defined]


def test_steps_follow_the_expectation_table() -> None:
    assert steps(Expect.RED) == steps(Expect.GREEN)
    assert Step.RUN_TESTS in steps(Expect.RED)
    assert steps(Expect.NONE) == (Step.INITIALIZE, Step.GENERATE_TESTS_AND_FIXTURES, Step.FINALIZE)
    assert steps(Expect.GREEN) == (
        Step.INITIALIZE, Step.PREPARE_PROJECT, Step.GENERATE_TESTS_AND_FIXTURES, Step.RUN_TESTS,
        Step.FINALIZE,
    )  # fmt: skip


def test_a_project_that_cannot_be_prepared_ends_before_any_model_call() -> None:
    s = answer(start(max_fix_attempts=3))  # initialize
    why = "dependency cts_slug could not be fetched: git.example:443 is not allowed"
    s = answer(s, ERROR, summary=why)
    assert s.status is SessionStatus.FAILED
    assert trail(s) == ["initialize", "prepare_project"]
    assert (s.reason or "") == f"PrepareProject failed: {why}"


def test_a_project_preparation_that_failed_for_now_is_retried() -> None:
    s = answer(start())
    s = answer(s, TRANSIENT, summary="the run's database is unavailable")
    assert trail(s) == ["initialize", "prepare_project", "prepare_project"]
    assert s.interactions[-1].attempt == 2


def test_a_new_session_starts_with_initialize_in_the_outbox() -> None:
    session = start()
    assert trail(session) == ["initialize"]
    assert [item.kind for item in session.outbox] == ["command"]
    command = json.loads(session.outbox[0].payload)
    assert command["data"]["step"] == "initialize"
    assert command["data"]["workspace"] == f"acme/shop/{session.id}"
    assert command["id"] == session.interactions[0].id
    assert session.current_deadline == T0 + DEADLINES[Step.INITIALIZE]
    assert (session.scope.account_id, session.scope.project_id) == ("acme", "shop")


def test_in_flight_interaction_means_wait() -> None:
    assert next_step(start()) == Wait()


def test_happy_path_with_one_fix_completes_and_publishes_finished_once() -> None:
    s = at_run_tests()
    s = answer(s, ERROR, RunTestsData(compiled=False, report="test/x_test.exs:3: undefined"))
    assert s.last_test_report == "test/x_test.exs:3: undefined"
    stored = s.interactions[-2].result
    assert stored is not None
    assert isinstance(stored.data, RunTestsData)
    assert stored.data.report == ""  # kept once, as last_test_report
    fix_command = json.loads(s.outbox[-1].payload)["data"]
    assert fix_command["step"] == "fix_compilation_errors"
    assert fix_command["previous_errors"] == "test/x_test.exs:3: undefined"
    usage = Usage(input_tokens=10, output_tokens=5, cost_usd=0.25)
    s = answer(s, OK, AgentData(step="fix_compilation_errors", usage=usage))
    s = answer(s)  # run_tests ok
    s = answer(s, OK, FinalizeData(commit_sha="c" * 40, branch="b", files=["test/x_test.exs"]))
    assert trail(s) == [
        "initialize", "prepare_project", "generate_tests_and_fixtures", "run_tests",
        "fix_compilation_errors", "run_tests", "finalize",
    ]  # fmt: skip
    assert s.status is SessionStatus.COMPLETE
    assert s.outcome is not None
    assert s.outcome.commit_sha == "c" * 40
    assert s.outcome.fix_attempts == 1
    assert s.outcome.usage.cost_usd == 0.25
    assert [i.kind for i in s.outbox].count("finished") == 1
    assert next_step(s) == Wait()
    assert advance(s, now=T0, deadlines=DEADLINES) == s  # a finished session stays put


def test_expect_none_skips_run_tests_and_fix() -> None:
    s = start(expect="none")
    for _ in range(3):
        s = answer(s)
    assert trail(s) == ["initialize", "generate_tests_and_fixtures", "finalize"]
    assert s.status is SessionStatus.COMPLETE


def test_fix_attempts_are_bounded() -> None:
    s = at_run_tests(max_fix_attempts=2)
    for _ in range(2):
        s = answer(s, ERROR, RunTestsData(compiled=False, report="still broken"))
        s = answer(s)  # fix
    s = answer(s, ERROR, RunTestsData(compiled=False, report="still broken"))
    assert s.status is SessionStatus.FAILED
    assert s.reason is not None
    assert "after 2 fix attempt(s)" in s.reason
    assert "'red' expectation" in s.reason
    assert trail(s).count("fix_compilation_errors") == 2


def test_a_run_tests_error_the_files_cannot_mend_ends_without_a_fix_attempt() -> None:
    s = at_run_tests(max_fix_attempts=3)
    why = "dependency cts_slug could not be fetched: git.example:443 is not allowed"
    s = answer(s, ERROR, RunTestsData(compiled=False, fixable=False), summary=why)
    assert s.status is SessionStatus.FAILED
    assert trail(s) == [
        "initialize", "prepare_project", "generate_tests_and_fixtures", "run_tests",
    ]  # fmt: skip
    assert why in (s.reason or "")
    assert "RunTests failed" in (s.reason or "")


def test_a_run_tests_error_marked_fixable_still_goes_to_fix() -> None:
    s = at_run_tests(max_fix_attempts=1)
    s = answer(s, ERROR, RunTestsData(compiled=False, fixable=True, report="x"))
    assert trail(s)[-1] == "fix_compilation_errors"


def test_zero_fix_attempts_fails_on_the_first_test_error() -> None:
    s = at_run_tests(max_fix_attempts=0)
    s = answer(s, ERROR, summary="3 tests passed in red mode")
    assert s.status is SessionStatus.FAILED
    assert "3 tests passed in red mode" in (s.reason or "")


def test_transient_results_are_retried_then_fail_the_session() -> None:
    s = start()
    s = answer(s, TRANSIENT, summary="network down")
    s = answer(s, TRANSIENT, summary="network down")
    assert [i.attempt for i in s.interactions] == [1, 2, 3]
    assert next_step(s) == Wait()
    s = answer(s, TRANSIENT, summary="network down")
    assert s.status is SessionStatus.FAILED
    assert (
        s.reason == "Initialize did not succeed after 3 attempts (temporary failures): network down"
    )


def test_transient_retry_keeps_the_fix_round() -> None:
    s = at_run_tests()
    s = answer(s, ERROR, RunTestsData(compiled=False))
    s = answer(s, TRANSIENT)
    assert s.interactions[-1].step is Step.FIX_COMPILATION_ERRORS
    assert (s.interactions[-1].attempt, s.interactions[-1].fix_attempt) == (2, 1)


def test_an_error_outside_run_tests_fails_with_the_executor_message() -> None:
    s = start()
    in_flight = s.in_flight
    assert in_flight is not None
    failed = Result(status=ERROR, summary="clone failed", error_message="ref 'dev' not found",
                    completed_at=T0)  # fmt: skip
    s = advance(record_result(s, in_flight.id, failed), now=T0, deadlines=DEADLINES)  # type: ignore[arg-type]
    assert s.status is SessionStatus.FAILED
    assert s.reason == "Initialize failed: ref 'dev' not found"


def test_run_tests_error_without_report_still_gives_fix_something() -> None:
    s = at_run_tests()
    s = answer(s, ERROR, summary="tests failed")
    assert s.last_test_report == "tests failed"


def test_a_duplicate_or_unknown_result_records_nothing() -> None:
    s = start()
    first = s.interactions[0].id
    s = answer(s)
    again = Result(status=ERROR, summary="late duplicate", completed_at=T0)
    assert record_result(s, first, again) is None
    assert record_result(s, "no-such-interaction", again) is None


def test_a_finished_session_records_nothing() -> None:
    s = answer(start(max_fix_attempts=0), ERROR, summary="boom")
    assert s.status is SessionStatus.FAILED
    assert (
        record_result(s, s.interactions[0].id, Result(status=OK, summary="x", completed_at=T0))
        is None
    )


def test_a_step_outside_the_sessions_path_is_an_invalid_interaction() -> None:
    s = answer(answer(start(expect="none")))  # finalize in flight
    bogus = s.interactions[-1].model_copy(update={"step": Step.RUN_TESTS, "result": Result(
        status=OK, summary="?", completed_at=T0)})  # fmt: skip
    s = s.model_copy(update={"interactions": [*s.interactions[:-1], bogus]})
    decision = next_step(s)
    assert isinstance(decision, Fail)
    assert decision.reason.startswith("invalid interaction: run_tests")


def test_mark_published_empties_the_outbox() -> None:
    s = start()
    s = mark_published(s, {s.outbox[0].id}, now=T0)
    assert s.outbox == []
    assert s.outbox_since is None


@pytest.mark.parametrize(
    ("last", "decision"),
    [
        (Step.INITIALIZE, Dispatch(Step.PREPARE_PROJECT)),
        (Step.PREPARE_PROJECT, Dispatch(Step.GENERATE_TESTS_AND_FIXTURES)),
        (Step.GENERATE_TESTS_AND_FIXTURES, Dispatch(Step.RUN_TESTS)),
        (Step.RUN_TESTS, Dispatch(Step.FINALIZE)),
        (Step.FINALIZE, Complete()),
    ],
)
def test_ok_moves_along_the_red_path(last: Step, decision: object) -> None:
    s = start()
    while s.interactions[-1].step is not last:
        s = answer(s)
    in_flight = s.in_flight
    assert in_flight is not None
    recorded = record_result(s, in_flight.id, Result(status=OK, summary="ok", completed_at=T0))
    assert recorded is not None
    assert next_step(recorded) == decision


def test_finalize_names_every_file_the_agent_wrote_and_nothing_else() -> None:
    s = answer(answer(start()))  # initialize, prepare_project
    written = ["test/x_test.exs", "test/support/fixtures/x_fixtures.ex"]
    s = answer(s, OK, AgentData(step="generate_tests_and_fixtures", files_written=written))
    s = answer(s, ERROR, RunTestsData(compiled=False, report="broken"))
    assert json.loads(s.outbox[-1].payload)["data"]["files"] is None  # only Finalize names them
    helper = ["test/support/helpers/case.ex", "test/x_test.exs"]
    s = answer(s, OK, AgentData(step="fix_compilation_errors", files_written=helper))
    s = answer(s, OK, RunTestsData(compiled=True))

    finalize = json.loads(s.outbox[-1].payload)["data"]
    assert finalize["step"] == "finalize"
    assert finalize["files"] == [
        "test/support/fixtures/x_fixtures.ex",
        "test/support/helpers/case.ex",
        "test/x_test.exs",
    ]
