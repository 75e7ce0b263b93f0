"""PrepareProject's answer: what the probe run (``sandboxed_run.PROBE``) found before any test
was written.

What no test or fixture file can change ends the step with an error, so the session ends
before Generate spends a model call: a dependency that cannot be fetched or compiled, a lock
that does not match ``mix.exs``, dependencies without a lock, the project's Elixir
requirement, a database the project needs that this test-runner does not have. A database
server that is down is ``transient`` (the orchestrator retries it, bounded). A project that
does not compile yet is only a warning: the session's own files may be what it lacks (a
fixture module another support file names), and RunTests reports it either way.
"""

from __future__ import annotations

from cts_contracts import PrepareProjectData
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger
from cts_test_runner.report import cut
from cts_test_runner.sandboxed_run import RunOutcome
from cts_test_runner.step_data import problem_report, toolchain_data
from cts_test_runner.toolchain import Toolchain

log = get_logger(__name__)

MAX_REPORT = 20_000
FIRST_ERRORS = 3


def nothing_to_prepare(framework: str, duration_s: float) -> StepOutcome:
    """Another framework than ExUnit: no dependency cache and no probe (pytest projects bring
    their environment with the test-runner's image)."""
    data = PrepareProjectData(duration_s=duration_s)
    return StepOutcome.ok(f"nothing to prepare for {framework}", data)


def prepared(run: RunOutcome, toolchain: Toolchain | None, duration_s: float) -> StepOutcome:
    problem = run.problem
    common = {
        "dependencies": run.dependencies,
        "databases": len(run.databases),
        "duration_s": duration_s,
        "toolchain": toolchain_data(toolchain),
    }
    if problem is not None:
        log.warning("project not prepared", summary=problem.summary, reason=problem.reason[:500])
        if problem.transient:
            return StepOutcome.transient(problem.summary, problem.reason)
        report = cut(problem_report(problem), MAX_REPORT)
        data = PrepareProjectData(compiled=False, report=report, **common)
        return StepOutcome.error(problem.summary, problem.reason, data)
    warnings = []
    if not run.results.compiled:
        errors = "; ".join(
            f"{error.file or '?'}:{error.line or '?'}: {error.message[:300]}"
            for error in run.results.compile_errors[:FIRST_ERRORS]
        )
        warnings.append(
            "the project did not compile before any test was written"
            + (f" ({errors})" if errors else "")
            + "; RunTests will report it if the session's files do not mend it"
        )
    data = PrepareProjectData(compiled=run.results.compiled, warnings=warnings, **common)
    summary = {
        "fetched": "dependencies fetched and compiled",
        "reused": "dependencies reused",
        "none": "no dependencies to fetch",
    }[run.dependencies]
    summary += (
        "; the project compiles" if run.results.compiled else "; the project does not compile"
    )
    if run.databases:
        summary += f"; its database was created and dropped ({len(run.databases)})"
    log.info("project prepared", summary=summary, duration_s=round(duration_s, 2))
    return StepOutcome.ok(summary, data)
