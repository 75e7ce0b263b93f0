"""RunTests: run the session's tests and judge them against the expectation.

Everything a run executes is untrusted (the generated tests, the repository's ``mix.exs``,
config and helpers), so it runs in the sandbox on a private copy of the working tree
(``run_copy``), never in the working tree itself. The handler is the only place that knows
the whole step; the process, the sandbox, the framework and the build directory are ports, so
unit tests drive it with fakes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from cts_contracts import Expect
from cts_contracts.step_requested import StepRequestedData
from cts_design import AlignmentResult, align, counts_extra_by_default, read_assertions
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger
from cts_runtime.workspace import step_workspace
from cts_test_runner.build_cache import BuildCache
from cts_test_runner.environment_problems import EnvironmentProblem
from cts_test_runner.process import ProcessPort, run_process
from cts_test_runner.report import error_message, render_report
from cts_test_runner.runners import select_runner
from cts_test_runner.runners.base import RunResults, TestRunner
from cts_test_runner.sandbox import Sandbox, make_sandbox
from cts_test_runner.sandboxed_run import RunOutcome, SandboxedRuns
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.start_ledger import StartLedger
from cts_test_runner.step_data import problem_data, run_tests_data
from cts_test_runner.toolchain import Toolchain, probe_toolchain
from cts_test_runner.upkeep import Upkeep
from cts_test_runner.verdict import Policy, judge
from cts_test_runner.workspace_files import is_regular_file, read_text

log = get_logger(__name__)

RunnerChooser = Callable[[str, Path, str, Sequence[str] | None], TestRunner]
ToolchainProbe = Callable[[], Awaitable[Toolchain | None]]


class RunTests:
    """The ``StepRunner`` for ``cts.tests.step-requested.v1``."""

    def __init__(
        self,
        settings: TestRunnerSettings,
        *,
        process: ProcessPort = run_process,
        environ: Mapping[str, str] | None = None,
        choose_runner: RunnerChooser = select_runner,
        sandbox: Sandbox | None = None,
        probe: ToolchainProbe = probe_toolchain,
    ) -> None:
        self._settings = settings
        self._process = process
        self._environ = environ if environ is not None else os.environ
        self._choose_runner = choose_runner
        self._sandbox = sandbox if sandbox is not None else make_sandbox(settings)
        self._slots = asyncio.Semaphore(settings.test_concurrency)
        self._builds = BuildCache(settings.workspace_root, enabled=settings.test_build_cache)
        self._starts = StartLedger(settings.workspace_root / ".test-runner" / "starts")
        self._runs = SandboxedRuns(settings, self._sandbox, process, self._environ)
        self._upkeep = Upkeep(settings)
        self._probe = probe
        self._toolchain: Toolchain | None = None
        self._probed = asyncio.Lock()

    def check_sandbox(self) -> None:
        """Raise ``SandboxUnavailable`` when the sandbox cannot start here (at startup)."""
        self._sandbox.self_test()
        removed = self._starts.sweep()
        if removed:
            log.info("forgot old unfinished starts", removed=removed)

    def close(self) -> None:
        self._sandbox.close()

    async def toolchain(self) -> Toolchain | None:
        """The Elixir/OTP of this runner, read once."""
        async with self._probed:
            if self._toolchain is None:
                self._toolchain = await self._probe()
                if self._toolchain is not None:
                    log.info("toolchain", elixir=self._toolchain.elixir, otp=self._toolchain.otp)
            return self._toolchain

    async def __call__(self, command: StepRequestedData) -> StepOutcome:
        started = time.monotonic()
        workspace = await step_workspace(self._settings.workspace_root, command.workspace)
        if isinstance(workspace, StepOutcome):
            return workspace
        component = command.component
        if command.expect is Expect.AUTO:
            return StepOutcome.error(
                "no expectation to judge by",
                "RunTests was sent expect=auto, which only Initialize may receive: the "
                "orchestrator must pass on what Initialize decided (red or green)",
            )
        if not await asyncio.to_thread(is_regular_file, workspace, component.test_file):
            message = f"the test file {component.test_file} does not exist; write it first"
            return StepOutcome.error("test file missing", message)
        starts = await asyncio.to_thread(self._starts.begin, command.interaction_id)
        if starts > self._settings.test_max_starts:
            return self._gave_up(starts - 1)
        try:
            outcome = await self._judged_run(command, workspace, started)
        except asyncio.CancelledError:
            # A shutdown or the step's deadline, not the run's doing: it does not count.
            await asyncio.shield(asyncio.to_thread(self._starts.end, command.interaction_id))
            raise
        await asyncio.to_thread(self._starts.end, command.interaction_id)
        return outcome

    def _gave_up(self, unfinished: int) -> StepOutcome:
        message = (
            f"RunTests was started {unfinished} times for this interaction and the test-runner "
            "never finished it (it was killed each time, for example out of memory); it is not "
            "run again. Look for a test that allocates without bound or floods its output."
        )
        log.warning("run abandoned after repeated unfinished starts", starts=unfinished)
        return StepOutcome.error("the run kept killing the test-runner", message)

    async def _judged_run(
        self, command: StepRequestedData, workspace: Path, started: float
    ) -> StepOutcome:
        component = command.component
        test_command = tuple(command.test_command) if command.test_command else None
        runner = self._choose_runner(
            self._settings.test_runner, workspace, component.test_file, test_command
        )
        toolchain = await self.toolchain()
        # The project lock comes first: a run waiting for it should not hold a slot.
        build = self._builds.checkout(command.account_id, command.project_id)
        async with build as project_dir, self._slots:
            run = await self._runs.run(command, runner, workspace, project_dir, toolchain)
        await self._upkeep.after_run()
        duration_s = time.monotonic() - started
        if run.problem is not None:
            return _unjudged(run.problem, toolchain, duration_s)
        alignment = await asyncio.to_thread(
            self._alignment, runner, workspace, command, run.results
        )
        return self._conclude(command, run, alignment, toolchain, duration_s)

    def _conclude(
        self,
        command: StepRequestedData,
        run: RunOutcome,
        alignment: AlignmentResult | None,
        toolchain: Toolchain | None,
        duration_s: float,
    ) -> StepOutcome:
        results, runs = run.results, run.runs
        component = command.component
        policy = Policy(
            expect=command.expect,
            component_module=component.module_name,
            session_files=(component.test_file, component.fixture_file),
            warnings_as_errors=self._settings.test_warnings_as_errors,
            alignment_threshold=(
                self._settings.alignment_threshold
                if command.alignment_threshold is None
                else command.alignment_threshold
            ),
            fail_on_unexpected_tests=self._settings.alignment_fail_on_unexpected,
            timeout_s=self._settings.test_timeout_s,
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

    def _alignment(
        self,
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


def _unjudged(
    problem: EnvironmentProblem, toolchain: Toolchain | None, duration_s: float
) -> StepOutcome:
    """The tests could not be judged: an error the fix loop is told not to try, or, for a
    database server that is down, a transient failure the orchestrator retries."""
    log.warning("run not judged", summary=problem.summary, reason=problem.reason[:500])
    if problem.transient:
        return StepOutcome.transient(problem.summary, problem.reason)
    data = problem_data(problem, toolchain=toolchain, duration_s=duration_s)
    return StepOutcome.error(problem.summary, problem.reason, data)
