"""The ``RunTestsData`` a run answers with: counts, diagnostics, tests and alignment, each
list capped as the contract requires (the full output would go to an artifact)."""

from __future__ import annotations

from cts_contracts import Alignment, RunTestsData, TestCase
from cts_contracts import Toolchain as ToolchainData
from cts_contracts.step_completed import MAX_LISTED
from cts_design import AlignmentResult
from cts_test_runner.environment_problems import EnvironmentProblem
from cts_test_runner.process import ProcessResult
from cts_test_runner.report import MAX_REPORT, cut
from cts_test_runner.runners.base import RunResults
from cts_test_runner.toolchain import Toolchain
from cts_test_runner.verdict import Verdict

OUTPUT_TAIL = 20_000


def run_tests_data(
    results: RunResults,
    *,
    verdict: Verdict,
    alignment: AlignmentResult | None,
    runs: list[ProcessResult],
    report: str,
    duration_s: float,
    toolchain: Toolchain | None = None,
) -> RunTestsData:
    tests = results.tests

    def count(*states: str) -> int:
        return sum(1 for t in tests if t.state in states)

    cases = [
        TestCase(
            module=t.module[:200],
            name=t.full_name()[:4000],
            file=t.file[:200] if t.file else None,
            line=t.line,
            state=t.state,
            message=(t.message or None) and t.message[:4000],
        )
        for t in tests[:MAX_LISTED]
    ]
    return RunTestsData(
        compiled=results.compiled,
        timed_out=any(run.timed_out for run in runs),
        exit_code=runs[-1].exit_code if runs else None,
        total=results.total if results.total is not None else len(tests),
        passed=count("passed"),
        failed=count("failed"),
        skipped=count("skipped", "excluded"),
        invalid=count("invalid"),
        compile_errors=results.compile_errors[:MAX_LISTED],
        # the ones that count first, so the cap never hides them
        warnings=sorted(verdict.warnings, key=lambda w: w.severity != "error")[:MAX_LISTED],
        tests=cases,
        alignment=_alignment_data(alignment),
        report=report,
        duration_s=duration_s,
        toolchain=toolchain_data(toolchain),
    )


def problem_data(
    problem: EnvironmentProblem, *, toolchain: Toolchain | None, duration_s: float
) -> RunTestsData:
    """A run whose tests were never judged."""
    return RunTestsData(
        compiled=False,
        report=cut(problem_report(problem), MAX_REPORT),
        duration_s=duration_s,
        toolchain=toolchain_data(toolchain),
        fixable=False,
    )


def problem_report(problem: EnvironmentProblem) -> str:
    """The reason, then the end of what ran."""
    report = f"# {problem.summary}\n\n{problem.reason}"
    if problem.output.strip():
        report += f"\n\n## Output (end)\n{problem.output[-OUTPUT_TAIL:]}"
    return report


def toolchain_data(toolchain: Toolchain | None) -> ToolchainData | None:
    if toolchain is None:
        return None
    return ToolchainData(elixir=toolchain.elixir[:200], otp=toolchain.otp[:200])


def _alignment_data(alignment: AlignmentResult | None) -> Alignment | None:
    if alignment is None:
        return None
    return Alignment(
        score=alignment.score,
        missing=[t.label()[:4000] for t in alignment.missing[:MAX_LISTED]],
        unexpected=[t.label()[:4000] for t in alignment.unexpected[:MAX_LISTED]],
    )
