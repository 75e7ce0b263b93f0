"""One run's mechanics: a private copy of the working tree, the project's dependencies (from
their cache entry, prepared first if needed), the run's database, the runner's commands in
the sandbox under one timeout, and the results parsed; the copy and the database are always
removed afterwards.

A run targets the session's tests (RunTests) or, before any test is written, a probe: an
empty test file of the test-runner's own in the private copy, so that everything a test run
does first (the dependencies, the project's compile, its ``test`` alias and its database)
happens with no test of the session's (PrepareProject)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cts_contracts.step_requested import StepRequestedData
from cts_runtime.beneath import write_file
from cts_runtime.logs import get_logger
from cts_test_runner.dependencies.cache_entry import entry_for
from cts_test_runner.dependencies.prepare import DependencyPreparation
from cts_test_runner.environment_problems import EnvironmentProblem, after_the_run, from_deps
from cts_test_runner.process import ProcessPort, ProcessResult
from cts_test_runner.reach.postgres_admin import PostgresAdmin
from cts_test_runner.reach.run_database import RunDatabase
from cts_test_runner.run_copy import copy_working_tree
from cts_test_runner.runners.base import RunRequest, RunResults, TestRunner
from cts_test_runner.sandbox import Forward, RunDirs, Sandbox
from cts_test_runner.sandbox_commands import SandboxCommands
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.toolchain import Toolchain

log = get_logger(__name__)

LOCK_FILE = "mix.lock"
PROBE_SOURCE = "# The test-runner's PrepareProject probe: no tests, only what a run does first.\n"

Dependencies = Literal["none", "fetched", "reused"]


@dataclass(frozen=True)
class Target:
    """What a run's test command runs."""

    test_file: str
    session_files: tuple[str, ...]
    """Whose warnings are the agent's to fix."""
    test_command: tuple[str, ...] | None = None
    probe: bool = False
    """Write ``test_file`` (empty) into the run's copy first."""

    @classmethod
    def of(cls, command: StepRequestedData) -> Target:
        component = command.component
        return cls(
            component.test_file,
            (component.test_file, component.fixture_file),
            tuple(command.test_command) if command.test_command else None,
        )


PROBE = Target("test/cts_prepare_project_probe_test.exs", (), probe=True)


@dataclass
class RunOutcome:
    results: RunResults
    runs: list[ProcessResult]
    problem: EnvironmentProblem | None = None
    """Why the run could not judge the tests at all (dependencies, database, toolchain)."""
    databases: list[str] = field(default_factory=list)
    dependencies: Dependencies = "none"


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
        self._commands = SandboxCommands(settings, sandbox, process, environ)
        self._deps = DependencyPreparation(settings, sandbox, self._commands)
        self._scratch = settings.sandbox_scratch or Path(tempfile.gettempdir()) / "cts-test-runner"

    async def run(
        self,
        target: Target,
        runner: TestRunner,
        workspace: Path,
        project_dir: Path,
        toolchain: Toolchain | None,
    ) -> RunOutcome:
        run_dir = await asyncio.to_thread(self._run_dir)
        try:
            tree, reports = run_dir / "tree", run_dir / "r"
            files = await asyncio.to_thread(self._copy, workspace, tree, reports, target)
            lock = tree / LOCK_FILE
            dirs = RunDirs(tree=tree, build=project_dir / "mix", reports=reports)
            dependencies: Dependencies = "none"
            if runner.name == "exunit" and toolchain is not None and lock.is_file():
                entry = entry_for(project_dir, await asyncio.to_thread(lock.read_bytes), toolchain)
                dependencies = "reused" if entry.ready() else "fetched"
                hex_home = self._settings.hex_home or entry.hex
                fetch_dirs = RunDirs(tree, entry.build, reports, entry.deps, hex_home)
                failure = await self._deps.ensure(entry, fetch_dirs, toolchain, run_dir)
                if failure is not None:
                    problem = from_deps(failure)
                    return RunOutcome(RunResults(compiled=False), [], problem, [], dependencies)
                dirs = RunDirs(tree, entry.build, reports, deps=entry.deps)
            await asyncio.to_thread(self._prepare, dirs)
            log.info("run prepared", sandbox=self._sandbox.name, files=files, probe=target.probe)
            outcome = await self._tests(
                target, runner, dirs, project_dir=project_dir, run_dir=run_dir, toolchain=toolchain
            )
            outcome.dependencies = dependencies
            return outcome
        finally:
            await asyncio.to_thread(shutil.rmtree, run_dir, True)

    async def _tests(
        self,
        target: Target,
        runner: TestRunner,
        dirs: RunDirs,
        *,
        project_dir: Path,
        run_dir: Path,
        toolchain: Toolchain | None,
    ) -> RunOutcome:
        inside = self._sandbox.view(dirs)
        request = RunRequest(
            workspace=dirs.tree,
            test_file=target.test_file,
            session_files=target.session_files,
            build_dir=str(inside.build),
            reports=str(inside.reports),
            reports_host=dirs.reports,
            ledger_dir=project_dir,
            tool=self._sandbox.tool,
            test_command=target.test_command,
            deps_dir=str(inside.deps) if inside.deps is not None else None,
        )
        database = self._database()
        socket = run_dir / "postgres.sock"
        await database.start(socket)
        try:
            runs = await self._commands.run(
                runner.commands(request),
                dirs,
                timeout_s=self._settings.test_timeout_s,
                env=database.environment(),
                forwards=[Forward("postgres", database.port, socket)],
                secrets=database.secrets,
            )
        finally:
            use = await database.finish()
        results = await asyncio.to_thread(runner.parse, request, runs)
        problem = after_the_run(runs, use, toolchain, has_lock=(dirs.deps is not None))
        return RunOutcome(results, runs, problem, use.databases)

    def _database(self) -> RunDatabase:
        url = self._settings.database_url()
        admin = None
        if url is not None:
            timeout = self._settings.test_database_connect_timeout_s
            admin = PostgresAdmin(url, connect_timeout_s=timeout)
        port = self._sandbox.loopback_port(self._settings.test_database_port)
        return RunDatabase(admin, port=port)

    def _run_dir(self) -> Path:
        """A fresh directory for one run, outside the shared volume."""
        self._scratch.mkdir(mode=0o711, parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self._scratch))
        run_dir.chmod(0o711)  # the sandbox user must reach its tree, not list others
        return run_dir

    @staticmethod
    def _copy(workspace: Path, tree: Path, reports: Path, target: Target) -> int:
        files = copy_working_tree(workspace, tree)
        reports.mkdir()
        if target.probe:  # a link on the way is refused (NotBeneath), never followed
            write_file(tree, target.test_file, PROBE_SOURCE.encode())
        return files

    def _prepare(self, dirs: RunDirs) -> None:
        dirs.build.mkdir(parents=True, exist_ok=True)
        self._sandbox.prepare(dirs)
