"""RunTests: run the session's tests in its workspace and judge them against the expectation.

The handler is the only place that knows the whole step; the process, the framework and the
build directory are ports, so unit tests drive it with fakes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger
from cts_runtime.workspace import step_workspace
from cts_test_runner.assertions import AlignmentResult, align, design_assertions
from cts_test_runner.build_cache import BuildCache
from cts_test_runner.environment import scrubbed_environment
from cts_test_runner.process import ProcessPort, ProcessResult, run_process
from cts_test_runner.report import error_message, render_report
from cts_test_runner.runners import select_runner
from cts_test_runner.runners.base import RunRequest, RunResults, TestRunner
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.step_data import run_tests_data
from cts_test_runner.verdict import Policy, judge
from cts_test_runner.workspace_files import is_regular_file, read_text

log = get_logger(__name__)

RunnerChooser = Callable[[str, Path, str], TestRunner]


class RunTests:
    """The ``StepRunner`` for ``cts.tests.step-requested.v1``."""

    def __init__(
        self,
        settings: TestRunnerSettings,
        *,
        process: ProcessPort = run_process,
        environ: Mapping[str, str] | None = None,
        choose_runner: RunnerChooser = select_runner,
    ) -> None:
        self._settings = settings
        self._process = process
        self._environ = environ if environ is not None else os.environ
        self._choose_runner = choose_runner
        self._slots = asyncio.Semaphore(settings.test_concurrency)
        self._builds = BuildCache(settings.workspace_root, enabled=settings.test_build_cache)

    async def __call__(self, command: StepRequestedData) -> StepOutcome:
        started = time.monotonic()
        workspace = await step_workspace(self._settings.workspace_root, command.workspace)
        if isinstance(workspace, StepOutcome):
            return workspace
        component = command.component
        if not await asyncio.to_thread(is_regular_file, workspace, component.test_file):
            message = f"the test file {component.test_file} does not exist; write it first"
            return StepOutcome.error("test file missing", message)
        runner = self._choose_runner(self._settings.test_runner, workspace, component.test_file)
        # The project lock comes first: a run waiting for it should not hold a slot.
        build = self._builds.checkout(command.account_id, command.project_id)
        async with build as build_dir, self._slots:
            results, runs = await self._run(command, runner, workspace, build_dir)
        alignment = await asyncio.to_thread(self._alignment, runner, workspace, command, results)
        return self._conclude(command, results, runs, alignment, time.monotonic() - started)

    def _conclude(
        self,
        command: StepRequestedData,
        results: RunResults,
        runs: list[ProcessResult],
        alignment: AlignmentResult | None,
        duration_s: float,
    ) -> StepOutcome:
        component = command.component
        policy = Policy(
            expect=command.expect,
            component_module=component.module_name,
            session_files=(component.test_file, component.fixture_file),
            warnings_as_errors=self._settings.test_warnings_as_errors,
            alignment_threshold=self._settings.alignment_threshold,
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
        )
        log.info(
            "tests judged",
            ok=verdict.ok,
            summary=verdict.summary[:200],
            total=data.total,
            duration_s=round(duration_s, 2),
        )
        if verdict.ok:
            return StepOutcome.ok(verdict.summary, data)
        return StepOutcome.error(verdict.summary, error_message(verdict), data)

    async def _run(
        self, command: StepRequestedData, runner: TestRunner, workspace: Path, build_dir: Path
    ) -> tuple[RunResults, list[ProcessResult]]:
        scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="cts-run-"))
        try:
            request = RunRequest(
                workspace=workspace,
                test_file=command.component.test_file,
                session_files=(command.component.test_file, command.component.fixture_file),
                scratch=scratch,
                build_dir=build_dir,
                test_command=tuple(command.test_command) if command.test_command else None,
            )
            deadline = time.monotonic() + self._settings.test_timeout_s
            runs: list[ProcessResult] = []
            for step in runner.commands(request):
                env = scrubbed_environment(
                    self._environ, allow=self._settings.test_env_allow, extra=step.env
                )
                run = await self._process(
                    step.argv,
                    cwd=workspace,
                    env=env,
                    timeout_s=deadline - time.monotonic(),
                    cap_bytes=self._settings.test_output_cap_bytes,
                )
                runs.append(run)
                log.info(
                    "command finished",
                    label=step.label,
                    exit_code=run.exit_code,
                    timed_out=run.timed_out,
                    duration_s=round(run.duration_s, 2),
                )
                if run.timed_out or (step.gate and not run.succeeded):
                    break
            results = await asyncio.to_thread(runner.parse, request, runs)
            return results, runs
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)

    def _alignment(
        self,
        runner: TestRunner,
        workspace: Path,
        command: StepRequestedData,
        results: RunResults,
    ) -> AlignmentResult | None:
        design = read_text(workspace, command.component.design_file)
        listed = design_assertions(design) if design is not None else None
        if listed is None:
            return None
        test_file = command.component.test_file
        mine = [t for t in results.tests if t.kind == "test" and t.file in (None, test_file)]
        if results.structured and mine:
            present = [t.test_id for t in mine]
        else:
            present = runner.declared_tests(read_text(workspace, test_file) or "")
        return align(listed, present)
