"""Sessions of the fixture application ``examples/shop_app`` for the test-runner: its git
dependencies served over HTTPS (``cts_testing.deps_server``), the local stack's PostgreSQL,
and a RunTests wired to the real process runner and sandbox."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_contracts import Expect, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings
from cts_testing.deps_server import DepsServer
from cts_testing.factories import step_request
from cts_testing.stack import database_url_file, repo_root

from .conftest import RecordingProcess

APP = repo_root() / "examples" / "shop_app"
FILES = repo_root() / "examples" / "scripts" / "files" / "shop"
REPOSITORY = "Shop.Catalog.ProductRepository"
LEDGER = "Shop.Catalog.StockLedger"
SOURCES = {
    REPOSITORY: ("product_repository_test.exs", "product_repository_fixtures.ex"),
    LEDGER: ("stock_ledger_test.exs", "stock_ledger_fixtures.ex"),
}
DEPENDENCY_BUILD = re.compile(r"^==> (cts_slug|cts_money|shop_sql)$", re.MULTILINE)
FETCH, COMPILE_DEPS = "mix deps.get", "mix deps.compile"


@dataclass
class ShopRuns:
    root: Path
    deps: DepsServer

    def settings(self, **overrides: Any) -> TestRunnerSettings:
        fetch = {name[4:].lower(): value for name, value in self.deps.settings().items()}
        values: dict[str, Any] = {
            "workspace_root": self.root,
            "log_format": "console",
            "test_database_url_file": database_url_file(),
            **fetch,
            **overrides,
        }
        return TestRunnerSettings(**values)

    def runner(self, **overrides: Any) -> tuple[RunTests, RecordingProcess]:
        recorder = RecordingProcess()
        return RunTests(self.settings(**overrides), process=recorder), recorder

    def session(
        self,
        module: str = REPOSITORY,
        *,
        expect: Expect = Expect.GREEN,
        project: str = "shop",
        test: str | None = None,
        edit: Callable[[Path], None] | None = None,
        step: Step = Step.RUN_TESTS,
    ) -> StepRequestedData:
        """A workspace holding the app and, for RunTests, the generated files for ``module``;
        ``test`` replaces the test file's text, ``edit`` changes the app before the run.
        PrepareProject's workspace has no generated file yet (it runs before Generate)."""
        command = step_request(
            step,
            expect=expect,
            project_id=project,
            component={"module_name": module, "type": "repository"},
        )
        command = command.model_copy(
            update={"workspace": f"{command.account_id}/{project}/{command.session_id}"}
        )
        workspace = self.root / command.workspace
        shutil.copytree(APP, workspace)
        if edit is not None:
            edit(workspace)
        if step is not Step.RUN_TESTS:
            return command
        test_name, fixture_name = SOURCES[module]
        files = {
            command.component.test_file: test or (FILES / test_name).read_text(),
            command.component.fixture_file: (FILES / fixture_name).read_text(),
        }
        for relative, text in files.items():
            (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
            (workspace / relative).write_text(text)
        return command


def labels(recorder: RecordingProcess) -> list[str]:
    """The commands a runner started, by their argv's first words."""
    return [" ".join(run.argv[:2]) for run in recorder.runs]


def replace_in(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(workspace: Path) -> None:
        path = workspace / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new))

    return edit
