"""B5: what the sandbox costs a warm RunTests, on the demo's sample app.

Three ways to run the same prepared checkout, measured in the same run, interleaved so that
load on the machine falls on all of them alike:

- **bare**: what the runner did before the sandbox, by hand: ``mix compile`` then ``mix test``
  with the formatter, in the working tree itself, against a warm build directory;
- **none**: the whole RunTests step with ``CTS_SANDBOX=none`` (a private copy of the tree,
  no namespaces);
- **bubblewrap**: the whole RunTests step as deployed.

Each keeps its own warm build directory (one cold run first, not counted). The figure that
matters is bubblewrap / bare: the step as it runs now against what it cost before.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.processes import REPO_ROOT
from cts_contracts import Expect, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.process import plain, run_process
from cts_test_runner.runners.exunit import FORMATTER_MODULE, formatter_path
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings
from cts_testing.factories import step_request

APP = REPO_ROOT / "examples" / "phoenix_app"
FILES = REPO_ROOT / "examples" / "scripts" / "files"
MODULE = "MyApp.Accounts.UserRegistration"
TEST_FILE = "test/my_app/accounts/user_registration_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_registration_fixtures.ex"


def _checkout(root: Path, command: StepRequestedData) -> Path:
    """The sample app as Initialize leaves it, plus the demo's generated files."""
    workspace = root / command.workspace
    shutil.copytree(APP, workspace)
    for relative in (TEST_FILE, FIXTURE_FILE):
        (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
    (workspace / TEST_FILE).write_text((FILES / "user_registration_test.fixed.exs").read_text())
    (workspace / FIXTURE_FILE).write_text((FILES / "user_registration_fixtures.ex").read_text())
    return workspace


def _step(root: Path, sandbox: str) -> tuple[Callable[[], Awaitable[float]], Path]:
    command = step_request(
        Step.RUN_TESTS,
        expect=Expect.RED,
        component={"module_name": MODULE, "type": "service"},
    )
    workspace = _checkout(root, command)
    settings = TestRunnerSettings(workspace_root=root, log_format="console", sandbox=sandbox)
    runner = RunTests(settings)
    runner.check_sandbox()

    async def once() -> float:
        started = time.monotonic()
        outcome = await runner(command)
        elapsed = time.monotonic() - started
        if outcome.status is not ResultStatus.OK:
            raise RuntimeError(f"{sandbox}: {outcome.summary}: {outcome.error_message}")
        return elapsed

    return once, workspace


def bare_commands(
    root: Path, test_file: str, **env: str
) -> tuple[dict[str, str], tuple[tuple[str, ...], ...]]:
    """What the runner did before the sandbox, by hand: ``mix compile``, then ``mix test`` with
    the formatter, built under ``root/build`` (``env`` adds to the environment)."""
    base = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "MIX_ENV": "test",
        "MIX_BUILD_ROOT": str(root / "build"),
    }
    formatters = ("--formatter", FORMATTER_MODULE, "--formatter", "ExUnit.CLIFormatter")
    test = ("elixir", "-r", str(formatter_path()), "-S", "mix", "test", test_file, *formatters)
    return base | env, (("mix", "compile", "--verbose"), test)


def _bare(root: Path) -> Callable[[], Awaitable[float]]:
    command = step_request(Step.RUN_TESTS, component={"module_name": MODULE, "type": "service"})
    workspace = _checkout(root, command)
    env, commands = bare_commands(root, TEST_FILE)

    async def once() -> float:
        started = time.monotonic()
        for argv in commands:
            job = plain(argv, cwd=workspace, env=env)
            await run_process(job, timeout_s=300, cap_bytes=1 << 20)
        return time.monotonic() - started

    return once


async def run(*, repetitions: int = 7) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="cts-bench-b5-"))
    try:
        ways: dict[str, Callable[[], Awaitable[float]]] = {"bare": _bare(scratch / "bare")}
        for sandbox in ("none", "bubblewrap"):
            ways[sandbox], _ = _step(scratch / sandbox, sandbox)
        cold = {name: round(await way(), 3) for name, way in ways.items()}
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(repetitions):
            for name, way in ways.items():
                times[name].append(await way())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    median = {name: round(statistics.median(values), 3) for name, values in times.items()}
    return {
        "repetitions": repetitions,
        "cold_s": cold,
        "median_s": median,
        "min_s": {name: round(min(values), 3) for name, values in times.items()},
        "max_s": {name: round(max(values), 3) for name, values in times.items()},
        "ratio": {
            "bubblewrap_vs_bare": round(median["bubblewrap"] / median["bare"], 2),
            "bubblewrap_vs_none": round(median["bubblewrap"] / median["none"], 2),
            "none_vs_bare": round(median["none"] / median["bare"], 2),
        },
    }
