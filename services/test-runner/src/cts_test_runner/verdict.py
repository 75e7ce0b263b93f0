"""Judge a run against the session's expectation (DESIGN.md, "Expectation modes").

Pure: the findings are what the agent must fix, each item naming a file, a line, a test or an
assertion, so the Fix step can act on it without reading the raw output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cts_contracts import Diagnostic, Expect
from cts_design import AlignmentResult
from cts_test_runner.runners.base import RanTest, RunResults

_UNAVAILABLE = re.compile(
    r"module (?P<module>[A-Z][\w.]*) is not available or is yet to be defined"
)
MAX_FAILURE_TEXT = 1_500
NO_REPORT = (
    "the test command produced no ExUnit report, so the expectation cannot be judged; "
    "run the tests with `mix test`"
)
NO_TEST_RAN = (
    "the file compiled but no test ran: check that the test module uses ExUnit.Case "
    "and that no test is tagged :skip or excluded"
)
HANG = (
    "look for a test that waits forever (receive without after, Process.sleep(:infinity), "
    "a call to a process that never answers, an endless loop)"
)


@dataclass(frozen=True)
class Policy:
    expect: Expect
    component_module: str
    session_files: tuple[str, ...]
    warnings_as_errors: bool = True
    alignment_threshold: float = 0.9
    fail_on_unexpected_tests: bool = False
    timeout_s: float = 600


@dataclass(frozen=True)
class Finding:
    title: str
    items: list[str]
    label: str
    """A few words for the one-line summary."""


@dataclass
class Verdict:
    ok: bool
    summary: str
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    """Every warning, ``severity="error"`` where it counts against the run."""


def expected_in_red(warning: Diagnostic, component_module: str) -> bool:
    """Red mode's one tolerated warning: the component under test does not exist yet."""
    match = _UNAVAILABLE.search(warning.message)
    if match is None:
        return False
    module = match["module"]
    return module == component_module or module.startswith(component_module + ".")


def where(diagnostic: Diagnostic) -> str:
    if diagnostic.file is None:
        return "(no location)"
    return f"{diagnostic.file}:{diagnostic.line}" if diagnostic.line else diagnostic.file


def classify_warnings(warnings: list[Diagnostic], policy: Policy) -> list[Diagnostic]:
    classified = []
    for warning in warnings:
        counts = (
            policy.warnings_as_errors
            and warning.file in policy.session_files
            and not (
                policy.expect is Expect.RED and expected_in_red(warning, policy.component_module)
            )
        )
        classified.append(warning.model_copy(update={"severity": "error" if counts else "warning"}))
    return classified


def _ran(tests: list[RanTest]) -> list[RanTest]:
    return [t for t in tests if t.state in ("passed", "failed", "invalid")]


def _test_item(test: RanTest, *, with_message: bool) -> str:
    location = f" ({test.where()})" if test.where() else ""
    item = f"{test.title()}{location}"
    if with_message and test.message:
        item += "\n" + _indent(test.message.strip()[:MAX_FAILURE_TEXT])
    return item


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _test_findings(results: RunResults, policy: Policy) -> list[Finding]:
    ran = _ran(results.tests)
    if not results.structured:
        return [Finding("No structured test results", [NO_REPORT], "no test results")]
    if not ran:
        return [Finding("No test ran", [NO_TEST_RAN], "no test ran")]
    if policy.expect is Expect.RED:
        passed = [t for t in ran if t.state == "passed"]
        if passed:
            return [
                Finding(
                    "Tests that pass but must fail (red mode: the component does not exist yet, so "
                    "a passing test does not exercise it)",
                    [_test_item(t, with_message=False) for t in passed],
                    f"{len(passed)} test(s) pass in red mode",
                )
            ]
        return []
    if policy.expect is Expect.GREEN:
        failing = [t for t in ran if t.state != "passed"]
        if failing:
            return [
                Finding(
                    "Failing tests (green mode: every test must pass)",
                    [_test_item(t, with_message=True) for t in failing],
                    f"{len(failing)} test(s) fail",
                )
            ]
    return []


def _alignment_findings(alignment: AlignmentResult | None, policy: Policy) -> list[Finding]:
    if alignment is None:
        return []
    below = alignment.score < policy.alignment_threshold
    extra = policy.fail_on_unexpected_tests and bool(alignment.unexpected)
    if not (below or extra):
        return []
    items = [
        f"missing (listed in the design, not in the test file): {t.label()}"
        for t in alignment.missing
    ]
    items += [
        f"unexpected (in the test file, not listed in the design): {t.label()}"
        for t in alignment.unexpected
    ]
    extras = "; tests it does not list count against it" if alignment.counts_extra else ""
    title = (
        f"Tests do not match the design's Test Assertions (alignment {alignment.score:.2f}, "
        f"threshold {policy.alignment_threshold:.2f}; describe and test names must match"
        f"{extras})"
    )
    return [Finding(title, items, f"alignment {alignment.score:.2f}")]


def judge(
    results: RunResults,
    policy: Policy,
    *,
    timed_out: bool,
    alignment: AlignmentResult | None,
) -> Verdict:
    warnings = classify_warnings(results.warnings, policy)
    findings: list[Finding] = []
    if timed_out:
        advice = f"the tests did not finish within {policy.timeout_s:g}s and were killed; {HANG}"
        findings.append(Finding("Timed out", [advice], f"timed out after {policy.timeout_s:g}s"))
    if results.compile_errors:
        findings.append(
            Finding(
                "Compile errors",
                [f"{where(e)}: {e.message}" for e in results.compile_errors],
                f"{len(results.compile_errors)} compile error(s)",
            )
        )
    counted = [w for w in warnings if w.severity == "error"]
    if counted:
        findings.append(
            Finding(
                "Compiler warnings in the generated files (treated as errors)",
                [f"{where(w)}: {w.message}" for w in counted],
                f"{len(counted)} warning(s) as errors",
            )
        )
    if results.integrity:
        findings.append(
            Finding(
                "The test run's own results cannot be trusted",
                results.integrity,
                "results contradict the run",
            )
        )
    if results.compiled and not timed_out:
        findings += _test_findings(results, policy)
    findings += _alignment_findings(alignment, policy)
    if findings:
        return Verdict(False, "; ".join(f.label for f in findings), findings, warnings)
    ran = _ran(results.tests)
    if policy.expect is Expect.RED:
        summary = f"red as expected: {len(ran)} test(s) ran and none passed"
    else:
        summary = f"all {len(ran)} test(s) passed"
    return Verdict(True, summary, [], warnings)
