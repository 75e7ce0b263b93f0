"""Why a run could not judge the generated tests at all: the project's dependencies, its
database or the toolchain. None of these is something the agent can mend by rewriting its
test and fixture files, so they end the step without a fix attempt (``fixable=False``), or,
for a database server that is down, as ``transient`` (the orchestrator retries, bounded)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cts_test_runner.dependencies.prepare import DepsFailure
from cts_test_runner.process import ProcessResult
from cts_test_runner.reach.run_database import DatabaseUse
from cts_test_runner.toolchain import Toolchain, unsupported_elixir

UNCHECKED = re.compile(r"^Unchecked dependencies for environment \w+:", re.MULTILINE)
UNAVAILABLE = re.compile(r"^\* (?P<name>\S+) \(.*\)\n\s+the dependency is not available", re.M)


@dataclass(frozen=True)
class EnvironmentProblem:
    summary: str
    reason: str
    transient: bool = False
    output: str = ""
    """What the commands printed, for the report."""


def from_deps(failure: DepsFailure) -> EnvironmentProblem:
    output = "\n".join(run.output for run in failure.runs)
    return EnvironmentProblem(failure.summary, failure.reason, output=output)


def after_the_run(
    runs: list[ProcessResult], use: DatabaseUse, toolchain: Toolchain | None, *, has_lock: bool
) -> EnvironmentProblem | None:
    output = "\n".join(run.output for run in runs)
    if use.problem is not None:
        summary = "the run's database is unavailable" if use.transient else "no database"
        return EnvironmentProblem(summary, use.problem, use.transient, output)
    if reason := unsupported_elixir(output, toolchain):
        return EnvironmentProblem("the project needs another Elixir", reason, output=output)
    if not has_lock and UNCHECKED.search(output):
        names = UNAVAILABLE.findall(output)
        which = f" ({', '.join(names)})" if names else ""
        return EnvironmentProblem(
            "the project has dependencies but no mix.lock",
            f"the project declares dependencies{which} but has no mix.lock, so the test-runner "
            "cannot know which versions to fetch: run mix deps.get and commit mix.lock",
            output=output,
        )
    return None
