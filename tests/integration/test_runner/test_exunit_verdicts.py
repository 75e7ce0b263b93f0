"""RunTests against real ``mix test`` (Debian's Elixir 1.14): compile errors, red and green,
strict warnings and spec-to-test alignment, each judged as the Fix step needs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cts_contracts import Expect, ResultStatus, RunTestsData
from cts_runtime.executor import StepOutcome

TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"

Load = Callable[[str], str]


def data_of(outcome: StepOutcome) -> RunTestsData:
    assert isinstance(outcome.data, RunTestsData), outcome
    return outcome.data


async def test_syntax_error_is_a_compile_error_with_file_and_line(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("syntax_error_test.exs")))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert data.compiled is False
    assert data.total == 0
    [error] = data.compile_errors
    assert (error.file, error.line) == (TEST_FILE, 7)
    assert "SyntaxError" in error.message
    assert outcome.error_message is not None
    assert f"{TEST_FILE}:7: (SyntaxError)" in outcome.error_message
    assert "compile error" in outcome.summary


async def test_call_to_an_undefined_local_function_is_a_compile_error(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("undefined_local_test.exs")))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert data.compiled is False
    [error] = data.compile_errors
    assert (error.file, error.line) == (TEST_FILE, 6)
    assert "undefined function valid_user_attributes/0" in error.message
    assert outcome.error_message is not None
    assert f"{TEST_FILE}:6:" in outcome.error_message


async def test_red_tests_failing_on_the_missing_module_are_ok(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("aligned_test.exs"), expect=Expect.RED))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.OK, outcome.error_message
    assert (data.compiled, data.total, data.passed, data.failed) == (True, 4, 0, 4)
    assert {t.state for t in data.tests} == {"failed"}
    names = {t.name for t in data.tests}
    assert "create_user/1 inserts a user with valid attributes" in names
    failing = next(t for t in data.tests if t.name.startswith("get_user/1 returns nil"))
    assert failing.file == TEST_FILE
    assert failing.line == 23
    assert failing.message is not None
    assert "UndefinedFunctionError" in failing.message
    # The calls to the component that does not exist yet warn, but do not count in red mode.
    assert data.warnings
    assert {w.severity for w in data.warnings} == {"warning"}
    assert all("MyApp.Accounts.UserRepository" in w.message for w in data.warnings)
    assert data.alignment is not None
    assert data.alignment.score == 1.0
    assert outcome.summary.startswith("red as expected: 4 test(s) ran")


async def test_same_tests_are_green_once_the_component_exists(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    command = sandbox.workspace(
        scenario("aligned_test.exs"), source=scenario("user_repository.ex"), expect=Expect.GREEN
    )
    outcome = await runner(command)

    data = data_of(outcome)
    assert outcome.status is ResultStatus.OK, outcome.error_message
    assert (data.total, data.passed, data.failed, data.exit_code) == (4, 4, 0, 0)
    assert data.warnings == []


async def test_a_passing_test_is_an_error_in_red_mode_naming_it(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("passing_and_failing_test.exs")))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert (data.passed, data.failed) == (1, 1)
    assert outcome.error_message is not None
    assert "pass in red mode" in outcome.summary
    assert "test create_user/1 returns an error for a malformed email" in outcome.error_message
    assert f"({TEST_FILE}:9)" in outcome.error_message
    # the failing one is not named as a problem
    assert "inserts a user with valid attributes" not in outcome.error_message


async def test_green_mode_reports_the_failures_with_their_messages(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests(alignment_threshold=0.0)
    command = sandbox.workspace(scenario("passing_and_failing_test.exs"), expect=Expect.GREEN)
    outcome = await runner(command)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message is not None
    assert "1 test(s) fail" in outcome.summary
    assert "test create_user/1 inserts a user with valid attributes" in outcome.error_message
    assert "UndefinedFunctionError" in outcome.error_message
    assert "returns an error for a malformed email" not in outcome.error_message


async def test_a_passing_test_is_ok_in_green_mode(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests(alignment_threshold=0.0)
    command = sandbox.workspace(
        scenario("passing_and_failing_test.exs"),
        source=scenario("user_repository.ex"),
        expect=Expect.GREEN,
    )
    outcome = await runner(command)

    assert outcome.status is ResultStatus.OK, outcome.error_message
    assert data_of(outcome).passed == 2


async def test_unused_variable_is_an_error_but_the_missing_component_is_not(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests(alignment_threshold=0.0)
    outcome = await runner(sandbox.workspace(scenario("unused_variable_test.exs")))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert data.compiled is True
    assert data.failed == 1  # red would be satisfied: the warning alone is the error
    counted = [w for w in data.warnings if w.severity == "error"]
    assert [(w.file, w.line) for w in counted] == [(TEST_FILE, 6)]
    assert 'variable "unused" is unused' in counted[0].message
    tolerated = [w for w in data.warnings if w.severity == "warning"]
    assert [(w.file, w.line) for w in tolerated] == [(TEST_FILE, 7)]
    assert "module MyApp.Accounts.UserRepository is not available" in tolerated[0].message
    assert outcome.error_message is not None
    assert f'{TEST_FILE}:6: variable "unused" is unused' in outcome.error_message
    assert "is not available" not in outcome.error_message
    assert outcome.summary == "1 warning(s) as errors"


async def test_the_missing_component_warning_is_an_error_in_green_mode(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests(alignment_threshold=0.0)
    command = sandbox.workspace(scenario("aligned_test.exs"), expect=Expect.GREEN)
    outcome = await runner(command)

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert data.warnings
    assert {w.severity for w in data.warnings} == {"error"}
    assert outcome.error_message is not None
    assert "is not available or is yet to be defined" in outcome.error_message


async def test_warnings_in_the_fixture_file_count_on_every_run(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    """Mix compiles an unchanged fixture once; its warning must not vanish on the next run."""
    runner, recorder = run_tests(alignment_threshold=0.0)
    command = sandbox.workspace(scenario("aligned_test.exs"), fixture=scenario("fixture_unused.ex"))

    first = await runner(command)
    second = await runner(command)

    assert "Compiled test/support/fixtures" in recorder.runs[0].output
    assert "Compiled test/support/fixtures" not in recorder.runs[2].output
    for outcome in (first, second):
        assert outcome.status is ResultStatus.ERROR
        counted = [w for w in data_of(outcome).warnings if w.severity == "error"]
        assert [(w.file, w.line) for w in counted] == [(FIXTURE_FILE, 6)]
        assert outcome.error_message is not None
        assert f'{FIXTURE_FILE}:6: variable "ignored" is unused' in outcome.error_message


async def test_two_missing_design_assertions_fail_alignment_naming_both(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("missing_two_test.exs")))

    data = data_of(outcome)
    assert outcome.status is ResultStatus.ERROR
    assert (data.failed, data.passed) == (3, 0)  # red itself is fine
    assert data.alignment is not None
    assert data.alignment.score == 0.5
    assert data.alignment.missing == [
        'describe "create_user/1" / test "returns an error for a malformed email"',
        'describe "get_user/1" / test "returns nil for an unknown id"',
    ]
    assert data.alignment.unexpected == ['describe "get_user/1" / test "raises for a negative id"']
    message = outcome.error_message
    assert message is not None
    assert "alignment 0.50" in outcome.summary
    missing = "missing (listed in the design, not in the test file): "
    unexpected = "unexpected (in the test file, not listed in the design): "
    assert (
        f'{missing}describe "create_user/1" / test "returns an error for a malformed email"'
        in message
    )
    assert f'{missing}describe "get_user/1" / test "returns nil for an unknown id"' in message
    assert f'{unexpected}describe "get_user/1" / test "raises for a negative id"' in message


async def test_alignment_is_read_from_the_source_when_the_file_does_not_compile(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, _ = run_tests()
    outcome = await runner(sandbox.workspace(scenario("syntax_error_test.exs")))

    alignment = data_of(outcome).alignment
    assert alignment is not None
    assert alignment.score == 0.25
    assert len(alignment.missing) == 3


async def test_the_tests_see_only_the_scrubbed_environment(
    sandbox: Any, run_tests: Any, scenario: Load, monkeypatch: Any
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    monkeypatch.setenv("CTS_MONGODB_URI", "mongodb://user:secret@db:27017/")
    monkeypatch.setenv("CTS_KAFKA_SASL_PASSWORD", "kafka-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("MY_ALLOWED_SETTING", "visible")
    runner, _ = run_tests(test_env_allow=["MY_ALLOWED_SETTING"], alignment_threshold=0.0)
    command = sandbox.workspace(scenario("environment_test.exs"), expect=Expect.GREEN)

    outcome = await runner(command)

    assert outcome.status is ResultStatus.OK, outcome.error_message
    assert data_of(outcome).passed == 1
    assert "secret" not in data_of(outcome).report
