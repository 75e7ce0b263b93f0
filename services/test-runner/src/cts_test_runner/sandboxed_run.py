"""One run's mechanics: a private copy of the working tree, the sandbox, the runner's
commands in order under one timeout, and the results parsed, the copy always removed."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from cts_contracts.step_requested import StepRequestedData
from cts_runtime.logs import get_logger
from cts_test_runner.environment import scrubbed_environment
from cts_test_runner.process import Job, ProcessPort, ProcessResult
from cts_test_runner.run_copy import copy_working_tree
from cts_test_runner.runners.base import Command, RunRequest, RunResults, TestRunner
from cts_test_runner.sandbox import Launch, RunDirs, Sandbox
from cts_test_runner.settings import TestRunnerSettings

log = get_logger(__name__)


class SandboxedRuns:
    def __init__(
        self,
        settings: TestRunnerSettings,
        sandbox: Sandbox,
        process: ProcessPort,
        environ: Mapping[str, str],
    ) -> None:
        self._settings = settings
        self._sandbox = sandbox
        self._process = process
        self._environ = environ
        self._scratch = settings.sandbox_scratch or Path(tempfile.gettempdir()) / "cts-test-runner"

    async def run(
        self, command: StepRequestedData, runner: TestRunner, workspace: Path, project_dir: Path
    ) -> tuple[RunResults, list[ProcessResult]]:
        run_dir = await asyncio.to_thread(self._run_dir)
        try:
            dirs = RunDirs(tree=run_dir / "tree", build=project_dir / "mix", reports=run_dir / "r")
            files = await asyncio.to_thread(self._prepare, workspace, dirs)
            inside = self._sandbox.view(dirs)
            request = RunRequest(
                workspace=dirs.tree,
                test_file=command.component.test_file,
                session_files=(command.component.test_file, command.component.fixture_file),
                build_dir=str(inside.build),
                reports=str(inside.reports),
                reports_host=dirs.reports,
                ledger_dir=project_dir,
                tool=self._sandbox.tool,
                test_command=tuple(command.test_command) if command.test_command else None,
            )
            log.info("run prepared", sandbox=self._sandbox.name, files=files)
            runs = await self._commands(runner.commands(request), dirs)
            results = await asyncio.to_thread(runner.parse, request, runs)
            return results, runs
        finally:
            await asyncio.to_thread(shutil.rmtree, run_dir, True)

    async def _commands(self, commands: list[Command], dirs: RunDirs) -> list[ProcessResult]:
        deadline = time.monotonic() + self._settings.test_timeout_s
        runs: list[ProcessResult] = []
        for step in commands:
            env = scrubbed_environment(
                self._environ, allow=self._settings.test_env_allow, extra=step.env
            )
            job = Job(step.argv, partial(self._launch, step, env, dirs), step.channel is not None)
            run = await self._process(
                job,
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
        return runs

    def _launch(
        self, step: Command, env: dict[str, str], dirs: RunDirs, channel: int | None
    ) -> Launch:
        if step.channel is not None and channel is not None:
            env = {**env, step.channel: str(channel)}
        return self._sandbox.launch(step.argv, env=env, dirs=dirs, tools=step.tools)

    def _run_dir(self) -> Path:
        """A fresh directory for one run, outside the shared volume."""
        self._scratch.mkdir(mode=0o711, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="run-", dir=self._scratch))

    def _prepare(self, workspace: Path, dirs: RunDirs) -> int:
        files = copy_working_tree(workspace, dirs.tree)
        dirs.build.mkdir(parents=True, exist_ok=True)
        dirs.reports.mkdir()
        dirs.tree.parent.chmod(0o711)  # the sandbox user must reach its tree, not list others
        self._sandbox.prepare(dirs)
        return files
