"""RunTests' answer: the run judged against the expectation and the design's test list, or,
when the tests could not be judged at all, why."""

from __future__ import annotations

from pathlib import Path

from cts_contracts.step_requested import StepRequestedData
from cts_design import AlignmentResult, align, counts_extra_by_default, read_assertions
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger
from cts_test_runner.environment_problems import EnvironmentProblem
from cts_test_runner.report import error_message, render_report
from cts_test_runner.runners.base import RunResults, TestRunner
from cts_test_runner.sandboxed_run import RunOutcome
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.step_data import problem_data, run_tests_data
from cts_test_runner.toolchain import Toolchain
from cts_test_runner.verdict import Policy, judge
from cts_test_runner.workspace_files import read_text

log = get_logger(__name__)


def concluded(
    settings: TestRunnerSettings,
    command: StepRequestedData,
    run: RunOutcome,
    alignment: AlignmentResult | None,
    *,
    toolchain: Toolchain | None,
    duration_s: float,
) -> StepOutcome:
    results, runs = run.results, run.runs
    component = command.component
    policy = Policy(
        expect=command.expect,
        component_module=component.module_name,
        session_files=(component.test_file, component.fixture_file),
        warnings_as_errors=settings.test_warnings_as_errors,
        alignment_threshold=(
            settings.alignment_threshold
            if command.alignment_threshold is None
            else command.alignment_threshold
        ),
        fail_on_unexpected_tests=settings.alignment_fail_on_unexpected,
        timeout_s=settings.test_timeout_s,
    )
    timed_out = any(run.timed_out for run in runs)
    verdict = judge(results, policy, timed_out=timed_out, alignment=alignment)
    report = render_report(
        verdict,
        results,
        expect=command.expect.value,
        alignment=alignment,
        design_file=component.design_file,
        output="\n".join(run.output for run in runs),
    )
    data = run_tests_data(
        results,
        verdict=verdict,
        alignment=alignment,
        runs=runs,
        report=report,
        duration_s=duration_s,
        toolchain=toolchain,
    )
    log.info(
        "tests judged",
        ok=verdict.ok,
        summary=verdict.summary[:200],
        total=data.total,
        duration_s=round(duration_s, 2),
        databases=run.databases,
    )
    if verdict.ok:
        return StepOutcome.ok(verdict.summary, data)
    return StepOutcome.error(verdict.summary, error_message(verdict), data)


def alignment_of(
    runner: TestRunner,
    workspace: Path,
    command: StepRequestedData,
    results: RunResults,
) -> AlignmentResult | None:
    design = read_text(workspace, command.component.design_file)
    found = read_assertions(design) if design is not None else None
    if found is None or not found.tests:
        return None  # nothing listed: Initialize already failed or warned about it
    counts_extra = command.alignment_counts_extra_tests
    if counts_extra is None:
        counts_extra = counts_extra_by_default(found.format)
    test_file = command.component.test_file
    mine = [t for t in results.tests if t.kind == "test" and t.file in (None, test_file)]
    if results.structured and mine:
        present = [t.test_id for t in mine]
    else:
        present = runner.declared_tests(read_text(workspace, test_file) or "")
    return align(found.tests, present, counts_extra=counts_extra, design_format=found.format)


def unjudged(
    problem: EnvironmentProblem, toolchain: Toolchain | None, duration_s: float
) -> StepOutcome:
    """The tests could not be judged: an error the fix loop is told not to try, or, for a
    database server that is down, a transient failure the orchestrator retries."""
    log.warning("run not judged", summary=problem.summary, reason=problem.reason[:500])
    if problem.transient:
        return StepOutcome.transient(problem.summary, problem.reason)
    data = problem_data(problem, toolchain=toolchain, duration_s=duration_s)
    return StepOutcome.error(problem.summary, problem.reason, data)
