"""A sample Mix project copied into session workspaces, and a RunTests wired to the real
process runner, for tests that run real ``mix test``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import Expect, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.process import Job, ProcessResult, run_process
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings
from cts_testing.deps_server import serve_deps
from cts_testing.factories import step_request
from cts_testing.stack import Endpoints

SAMPLE = Path(__file__).parent / "projects" / "sample"
SCENARIOS = Path(__file__).parent / "projects" / "scenarios"
TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"
SOURCE_FILE = "lib/my_app/accounts/user_repository.ex"

if shutil.which("mix") is None:
    pytest.skip("Elixir (mix) is not installed", allow_module_level=True)


class RecordingProcess:
    """The real process runner, remembering each run (pids, markers, raw output)."""

    def __init__(self) -> None:
        self.runs: list[ProcessResult] = []

    async def __call__(self, job: Job, *, timeout_s: float, cap_bytes: int) -> ProcessResult:
        result = await run_process(job, timeout_s=timeout_s, cap_bytes=cap_bytes)
        self.runs.append(result)
        return result


@dataclass
class Sandbox:
    root: Path

    def workspace(
        self,
        test: str,
        *,
        fixture: str | None = None,
        source: str | None = None,
        design: str | None = None,
        expect: Expect = Expect.RED,
        **overrides: Any,
    ) -> StepRequestedData:
        """A fresh session workspace holding the sample project plus the given files."""
        command = step_request(Step.RUN_TESTS, expect=expect, **overrides)
        workspace = self.root / command.workspace
        self.copy_sample(workspace)
        files = {TEST_FILE: test, FIXTURE_FILE: fixture, SOURCE_FILE: source}
        if design is not None:
            files[command.component.design_file] = design
        for relative, text in files.items():
            if text is not None:
                (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
                (workspace / relative).write_text(text, encoding="utf-8")
        return command

    def path(self, command: StepRequestedData) -> Path:
        return self.root / command.workspace

    @staticmethod
    def copy_sample(destination: Path) -> None:
        shutil.copytree(SAMPLE, destination)

    def runner(self, **settings: Any) -> tuple[RunTests, RecordingProcess]:
        """A RunTests on this root with the real process runner, recorded."""
        recorder = RecordingProcess()
        config = TestRunnerSettings(workspace_root=self.root, log_format="console", **settings)
        return RunTests(config, process=recorder), recorder


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """One workspace root per module: its sessions share the per-project build, as in prod."""
    return Sandbox(tmp_path_factory.mktemp("workspaces"))


@pytest.fixture(scope="session")
def sandbox_factory() -> type[Sandbox]:
    return Sandbox


@pytest.fixture(scope="session")
def scenario() -> Callable[[str], str]:
    """The text of ``projects/scenarios/<name>``: a test file an agent might write."""

    def load(name: str) -> str:
        return (SCENARIOS / name).read_text(encoding="utf-8")

    return load


RunTestsFactory = Callable[..., tuple[RunTests, RecordingProcess]]


@pytest.fixture
def run_tests(sandbox: Sandbox) -> RunTestsFactory:
    def make(**settings: Any) -> tuple[RunTests, RecordingProcess]:
        recorder = RecordingProcess()
        config = TestRunnerSettings(workspace_root=sandbox.root, log_format="console", **settings)
        return RunTests(config, process=recorder), recorder

    return make


@pytest.fixture(scope="module")
def shop(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Sessions of ``examples/shop_app`` (a ``shop.ShopRuns``) on one workspace root for the
    module, so they share the project's dependency cache entry, with its git dependencies
    served over HTTPS. ``stack`` starts the local PostgreSQL when it is not running."""
    from .shop import ShopRuns  # noqa: PLC0415 - shop.py imports this module

    root = tmp_path_factory.mktemp("shop")
    with serve_deps(root / "served") as deps:
        yield ShopRuns(root / "workspaces", deps)
