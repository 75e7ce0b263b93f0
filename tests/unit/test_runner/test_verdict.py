"""Judging a run against red/green, strict warnings and alignment (pure)."""

from __future__ import annotations

from typing import Any

from cts_contracts import Diagnostic, Expect
from cts_design import AlignmentResult
from cts_test_runner.runners.base import RanTest, RunResults, TestId
from cts_test_runner.verdict import Policy, judge

TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"
MODULE = "MyApp.Accounts.UserRepository"
MISSING = (
    f"{MODULE}.create_user/1 is undefined "
    f"(module {MODULE} is not available or is yet to be defined)"
)


def policy(expect: Expect = Expect.RED, **overrides: Any) -> Policy:
    return Policy(
        expect=expect, component_module=MODULE, session_files=(TEST_FILE, FIXTURE_FILE), **overrides
    )


def ran(state: str, name: str = "works", **fields: Any) -> RanTest:
    return RanTest(
        module=f"{MODULE}Test",
        describe="create_user/1",
        name=name,
        state=state,  # type: ignore[arg-type]
        file=TEST_FILE,
        line=7,
        **fields,
    )


def results(*tests: RanTest, **fields: Any) -> RunResults:
    return RunResults(compiled=True, structured=True, tests=list(tests), **fields)


def test_red_is_ok_when_tests_ran_and_none_passed() -> None:
    verdict = judge(
        results(ran("failed"), ran("invalid", "b")), policy(), timed_out=False, alignment=None
    )

    assert verdict.ok
    assert verdict.summary == "red as expected: 2 test(s) ran and none passed"


def test_red_names_the_tests_that_pass() -> None:
    verdict = judge(
        results(ran("failed"), ran("passed", "sneaky")), policy(), timed_out=False, alignment=None
    )

    assert not verdict.ok
    [finding] = verdict.findings
    assert finding.items == [f"{MODULE}Test: test create_user/1 sneaky ({TEST_FILE}:7)"]
    assert verdict.summary == "1 test(s) pass in red mode"


def test_no_test_ran_is_an_error_in_either_mode() -> None:
    for expect in (Expect.RED, Expect.GREEN):
        verdict = judge(
            results(ran("skipped"), ran("excluded")),
            policy(expect),
            timed_out=False,
            alignment=None,
        )
        assert not verdict.ok
        assert verdict.summary == "no test ran"


def test_green_lists_failures_with_their_messages() -> None:
    failing = ran("failed", "breaks", message="Assertion with == failed\nleft: 1")
    verdict = judge(
        results(ran("passed"), failing), policy(Expect.GREEN), timed_out=False, alignment=None
    )

    assert not verdict.ok
    [finding] = verdict.findings
    assert finding.items[0].startswith(f"{MODULE}Test: test create_user/1 breaks")
    assert "    Assertion with == failed\n    left: 1" in finding.items[0]


def test_green_is_ok_when_all_ran_tests_pass() -> None:
    verdict = judge(
        results(ran("passed"), ran("skipped", "later")),
        policy(Expect.GREEN),
        timed_out=False,
        alignment=None,
    )

    assert verdict.ok
    assert verdict.summary == "all 1 test(s) passed"


def test_compile_errors_come_with_file_and_line() -> None:
    error = Diagnostic(file=TEST_FILE, line=6, message="(CompileError) undefined function f/0")
    verdict = judge(
        RunResults(compiled=False, compile_errors=[error]),
        policy(),
        timed_out=False,
        alignment=None,
    )

    assert not verdict.ok
    assert [f.items for f in verdict.findings] == [
        [f"{TEST_FILE}:6: (CompileError) undefined function f/0"]
    ]


def test_warnings_count_only_in_session_files_and_not_the_missing_component_in_red() -> None:
    warnings = [
        Diagnostic(file=TEST_FILE, line=6, message='variable "x" is unused', severity="warning"),
        Diagnostic(file=TEST_FILE, line=7, message=MISSING, severity="warning"),
        Diagnostic(file="lib/my_app.ex", line=3, message="unused alias Foo", severity="warning"),
        Diagnostic(file=FIXTURE_FILE, line=4, message="unused import Enum", severity="warning"),
    ]
    red = judge(
        results(ran("failed"), warnings=warnings), policy(), timed_out=False, alignment=None
    )
    green = judge(
        results(ran("passed"), warnings=warnings),
        policy(Expect.GREEN),
        timed_out=False,
        alignment=None,
    )

    assert [w.severity for w in red.warnings] == ["error", "warning", "warning", "error"]
    assert [w.severity for w in green.warnings] == ["error", "error", "warning", "error"]
    assert red.summary == "2 warning(s) as errors"


def test_warnings_about_other_missing_modules_count_in_red() -> None:
    other = MISSING.replace(MODULE, "MyApp.Billing")
    warning = Diagnostic(file=TEST_FILE, line=9, message=other, severity="warning")
    nested = Diagnostic(
        file=TEST_FILE,
        line=10,
        message=MISSING.replace(MODULE, f"{MODULE}.Query"),
        severity="warning",
    )
    verdict = judge(
        results(ran("failed"), warnings=[warning, nested]),
        policy(),
        timed_out=False,
        alignment=None,
    )

    assert [w.severity for w in verdict.warnings] == ["error", "warning"]


def test_strict_warnings_can_be_switched_off() -> None:
    warning = Diagnostic(file=TEST_FILE, line=6, message="unused", severity="warning")
    verdict = judge(
        results(ran("failed"), warnings=[warning]),
        policy(warnings_as_errors=False),
        timed_out=False,
        alignment=None,
    )

    assert verdict.ok


def test_a_timeout_is_an_error_even_with_results() -> None:
    verdict = judge(results(ran("failed")), policy(timeout_s=20), timed_out=True, alignment=None)

    assert not verdict.ok
    assert verdict.summary == "timed out after 20s"
    assert "did not finish within 20s" in verdict.findings[0].items[0]


def test_alignment_below_threshold_names_missing_and_unexpected() -> None:
    alignment = AlignmentResult(
        0.5, [TestId("get_user/1", "a"), TestId(None, "b")], [TestId("get_user/1", "c")], 4
    )
    verdict = judge(results(ran("failed")), policy(), timed_out=False, alignment=alignment)

    assert not verdict.ok
    assert verdict.summary == "alignment 0.50"
    assert verdict.findings[0].items == [
        'missing (listed in the design, not in the test file): describe "get_user/1" / test "a"',
        'missing (listed in the design, not in the test file): test "b"',
        'unexpected (in the test file, not listed in the design): describe "get_user/1" / test "c"',
    ]


def test_unexpected_tests_alone_pass_unless_configured() -> None:
    alignment = AlignmentResult(1.0, [], [TestId(None, "extra")], 2)
    lenient = judge(results(ran("failed")), policy(), timed_out=False, alignment=alignment)
    strict = judge(
        results(ran("failed")),
        policy(fail_on_unexpected_tests=True),
        timed_out=False,
        alignment=alignment,
    )

    assert lenient.ok
    assert not strict.ok


def test_several_problems_are_all_reported() -> None:
    warning = Diagnostic(file=TEST_FILE, line=6, message="unused", severity="warning")
    alignment = AlignmentResult(0.0, [TestId(None, "a")], [], 1)
    verdict = judge(
        results(ran("passed"), warnings=[warning]), policy(), timed_out=False, alignment=alignment
    )

    assert verdict.summary == "1 warning(s) as errors; 1 test(s) pass in red mode; alignment 0.00"
