"""The test-runner's steps: PrepareProject (before any test is written: the project's
dependencies, compile and database, through a probe run) and RunTests (run the session's
tests and judge them against the expectation).

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

from cts_contracts import Expect, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.beneath import NotBeneath
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger
from cts_runtime.workspace import step_workspace
from cts_test_runner.build_cache import BuildCache
from cts_test_runner.prepare_project import nothing_to_prepare, prepared
from cts_test_runner.process import ProcessPort, run_process
from cts_test_runner.run_tests_outcome import alignment_of, concluded, unjudged
from cts_test_runner.runners import select_runner
from cts_test_runner.runners.base import TestRunner
from cts_test_runner.sandbox import Sandbox, make_sandbox
from cts_test_runner.sandboxed_run import PROBE, RunOutcome, SandboxedRuns, Target
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.start_ledger import StartLedger
from cts_test_runner.toolchain import Toolchain, probe_toolchain
from cts_test_runner.upkeep import Upkeep
from cts_test_runner.workspace_files import is_regular_file

log = get_logger(__name__)

RunnerChooser = Callable[[str, Path, str, Sequence[str] | None], TestRunner]
ToolchainProbe = Callable[[], Awaitable[Toolchain | None]]


class RunTests:
    """The ``StepRunner`` for ``cts.tests.step-requested.v1`` (both of its steps)."""

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
        if command.step is Step.PREPARE_PROJECT:
            return await self._counted(command, lambda: self._prepare(command, workspace, started))
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
        return await self._counted(command, lambda: self._judged_run(command, workspace, started))

    async def _counted(
        self, command: StepRequestedData, work: Callable[[], Awaitable[StepOutcome]]
    ) -> StepOutcome:
        """Run ``work`` unless this interaction already killed the runner too often."""
        starts = await asyncio.to_thread(self._starts.begin, command.interaction_id)
        if starts > self._settings.test_max_starts:
            return self._gave_up(starts - 1)
        try:
            outcome = await work()
        except asyncio.CancelledError:
            # A shutdown or the step's deadline, not the run's doing: it does not count.
            await asyncio.shield(asyncio.to_thread(self._starts.end, command.interaction_id))
            raise
        await asyncio.to_thread(self._starts.end, command.interaction_id)
        return outcome

    def _gave_up(self, unfinished: int) -> StepOutcome:
        message = (
            f"The step was started {unfinished} times for this interaction and the test-runner "
            "never finished it (it was killed each time, for example out of memory); it is not "
            "run again. Look for a test that allocates without bound or floods its output."
        )
        log.warning("run abandoned after repeated unfinished starts", starts=unfinished)
        return StepOutcome.error("the run kept killing the test-runner", message)

    async def _prepare(
        self, command: StepRequestedData, workspace: Path, started: float
    ) -> StepOutcome:
        runner = self._runner_for(command, workspace)
        if runner.name != "exunit":
            return nothing_to_prepare(runner.name, time.monotonic() - started)
        toolchain = await self.toolchain()
        try:
            run = await self._run(command, PROBE, runner, workspace, toolchain)
        except NotBeneath as refused:
            reason = f"the probe test file could not be written into the project's copy: {refused}"
            return StepOutcome.error("the project's test directory is not a directory", reason)
        return prepared(run, toolchain, time.monotonic() - started)

    async def _judged_run(
        self, command: StepRequestedData, workspace: Path, started: float
    ) -> StepOutcome:
        runner = self._runner_for(command, workspace)
        toolchain = await self.toolchain()
        run = await self._run(command, Target.of(command), runner, workspace, toolchain)
        duration_s = time.monotonic() - started
        if run.problem is not None:
            return unjudged(run.problem, toolchain, duration_s)
        alignment = await asyncio.to_thread(alignment_of, runner, workspace, command, run.results)
        return concluded(
            self._settings, command, run, alignment, toolchain=toolchain, duration_s=duration_s
        )

    def _runner_for(self, command: StepRequestedData, workspace: Path) -> TestRunner:
        test_command = tuple(command.test_command) if command.test_command else None
        return self._choose_runner(
            self._settings.test_runner, workspace, command.component.test_file, test_command
        )

    async def _run(
        self,
        command: StepRequestedData,
        target: Target,
        runner: TestRunner,
        workspace: Path,
        toolchain: Toolchain | None,
    ) -> RunOutcome:
        # The project lock comes first: a run waiting for it should not hold a slot.
        build = self._builds.checkout(command.account_id, command.project_id)
        async with build as project_dir, self._slots:
            run = await self._runs.run(target, runner, workspace, project_dir, toolchain)
        await self._upkeep.after_run()
        return run
