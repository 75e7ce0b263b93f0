"""The ``TestRunner`` port: which commands run a project's tests, and what their output means.

A runner knows one test framework (ExUnit, pytest). Everything else — the process group, the
timeout, the environment, judging the expectation, alignment and the report — is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from cts_contracts import Diagnostic
from cts_design import TestId
from cts_test_runner.process import ProcessResult

TestState = Literal["passed", "failed", "skipped", "invalid", "excluded"]
__all__ = ["Command", "RanTest", "RunRequest", "RunResults", "TestId", "TestRunner", "TestState"]


@dataclass(frozen=True)
class RanTest:
    module: str
    describe: str | None
    name: str
    state: TestState
    file: str | None = None
    line: int | None = None
    message: str | None = None
    kind: str = "test"
    """``test``, or e.g. ``doctest``: only plain tests are compared with the design."""

    @property
    def test_id(self) -> TestId:
        return TestId(self.describe, self.name)

    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def full_name(self) -> str:
        """As ExUnit prints it after ``test``: the describe, a space, the name."""
        return f"{self.describe} {self.name}" if self.describe else self.name

    def title(self) -> str:
        return f"{self.module}: test {self.full_name()}"


@dataclass(frozen=True)
class RunRequest:
    workspace: Path
    """The run's private copy of the working tree on the host (parse reads files here)."""
    test_file: str
    """Relative to the workspace, like every path below."""
    session_files: tuple[str, ...]
    """The files the agent wrote (test, fixture): their warnings are the agent's to fix."""
    build_dir: str
    """``MIX_BUILD_ROOT`` as the command sees it."""
    reports: str
    """A directory for report files, as the command sees it."""
    reports_host: Path
    """The same directory on the host, where ``parse`` reads them."""
    ledger_dir: Path
    """A directory of the runner's own beside the build (never visible to a command)."""
    tool: Callable[[Path], str]
    """Where a read-only file of the runner appears to the command."""
    test_command: tuple[str, ...] | None = None
    deps_dir: str | None = None
    """``MIX_DEPS_PATH`` as the command sees it, for a project with dependencies."""


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    env: dict[str, str]
    """Added to the scrubbed environment."""
    label: str
    gate: bool = False
    """When a gate fails (non-zero exit), later commands are not run (e.g. a compile step)."""
    tools: tuple[Path, ...] = ()
    """Files of the runner the command reads (made visible read-only)."""
    channel: str | None = None
    """The variable that carries the report channel's descriptor number, if it wants one."""


@dataclass
class RunResults:
    compiled: bool
    compile_errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    tests: list[RanTest] = field(default_factory=list)
    structured: bool = False
    """A machine-readable report was read (not only the exit code)."""
    total: int | None = None
    """When the report listed fewer tests than ran (a cap), the true count."""
    notes: list[str] = field(default_factory=list)
    """Problems outside any test (e.g. a failing ``setup_all``), worth showing the agent."""
    integrity: list[str] = field(default_factory=list)
    """Why the run's own account of itself cannot be believed (see ``exunit_report``)."""


class TestRunner(Protocol):
    name: str

    def commands(self, request: RunRequest) -> list[Command]:
        """What to run, in order."""
        ...

    def parse(self, request: RunRequest, runs: list[ProcessResult]) -> RunResults:
        """Interpret the runs (one per command actually run; blocking I/O allowed)."""
        ...

    def declared_tests(self, source: str) -> list[TestId]:
        """The tests a test file declares, read from its source (when nothing ran)."""
        ...
