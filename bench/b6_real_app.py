"""B6: RunTests on an application with dependencies and a database (``examples/shop_app``).

- **cold**: the first run of the project: its git dependencies fetched through the proxy and
  compiled (a new cache entry), then the tests, in a database of their own;
- **warm**: later runs of the same project (a cache hit: nothing fetched, asserted, and no
  dependency compiled again, asserted from the compiler's output);
- **prepare**: PrepareProject of the same project, warm (what every later session pays
  before Generate: the cache entry checked, the project compiled, the probe run with its
  database), no dependency touched (asserted);
- **bare**: the same prepared checkout run by hand, no sandbox, no copy, no relay: ``mix
  compile`` then ``mix test`` with the formatter, the dependencies and a warm build of its
  own, straight to PostgreSQL as its admin role, a fresh partition (so a fresh database) per
  run, dropped afterwards outside the timing.

Warm, prepare and bare alternate, so load on the machine falls on both alike. The figure that
matters is warm / bare: what the test-runner costs over running the tests yourself.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bench.b5_run_tests import bare_commands
from bench.processes import REPO_ROOT
from cts_contracts import Expect, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.process import Job, ProcessResult, plain, run_process
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings
from cts_testing.deps_server import DepsServer, serve_deps
from cts_testing.factories import step_request
from cts_testing.stack import database_url_file

APP = REPO_ROOT / "examples" / "shop_app"
FILES = REPO_ROOT / "examples" / "scripts" / "files" / "shop"
MODULE = "Shop.Catalog.ProductRepository"
DEPENDENCIES = ("cts_slug", "cts_money", "shop_sql")


class Recorder:
    def __init__(self) -> None:
        self.runs: list[ProcessResult] = []

    async def __call__(self, job: Job, *, timeout_s: float, cap_bytes: int) -> ProcessResult:
        run = await run_process(job, timeout_s=timeout_s, cap_bytes=cap_bytes)
        self.runs.append(run)
        return run


def _checkout(root: Path, command: StepRequestedData) -> Path:
    workspace = root / command.workspace
    shutil.copytree(APP, workspace)
    for relative, name in (
        (command.component.test_file, "product_repository_test.exs"),
        (command.component.fixture_file, "product_repository_fixtures.ex"),
    ):
        (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
        (workspace / relative).write_text((FILES / name).read_text())
    return workspace


def _recompiled(runs: list[ProcessResult]) -> list[str]:
    """Dependencies a run fetched or compiled (none, on a cache hit)."""
    found = [f"fetch ({' '.join(r.argv)})" for r in runs if r.argv[:2] == ("mix", "deps.get")]
    for run in runs:
        found += [f"compiled {name}" for name in DEPENDENCIES if f"==> {name}\n" in run.output]
    return found


def _step(root: Path, deps: DepsServer) -> tuple[RunTests, Recorder, StepRequestedData]:
    command = step_request(
        Step.RUN_TESTS, expect=Expect.GREEN, component={"module_name": MODULE, "type": "repository"}
    )
    _checkout(root, command)
    fetch: dict[str, Any] = {name[4:].lower(): v for name, v in deps.settings().items()}
    settings = TestRunnerSettings(
        workspace_root=root,
        log_format="console",
        test_database_url_file=database_url_file(),
        **fetch,
    )
    recorder = Recorder()
    runner = RunTests(settings, process=recorder)
    runner.check_sandbox()
    return runner, recorder, command


async def _timed_step(runner: RunTests, command: StepRequestedData) -> float:
    started = time.monotonic()
    outcome = await runner(command)
    elapsed = time.monotonic() - started
    if outcome.status is not ResultStatus.OK:
        raise RuntimeError(f"B6 {command.step.value}: {outcome.summary}: {outcome.error_message}")
    return elapsed


def _bare(root: Path, entry: Path) -> Callable[[], Awaitable[float]]:
    """The prepared checkout by hand: the cache entry's dependencies, a build of its own."""
    command = step_request(Step.RUN_TESTS, component={"module_name": MODULE, "type": "x"})
    workspace = _checkout(root, command)
    # The compiled dependencies only (links kept); the app builds its own on the first run.
    shutil.copytree(entry / "build", root / "build", symlinks=True)
    shutil.rmtree(root / "build" / "test" / "lib" / "shop")
    shutil.copytree(entry / "deps", root / "deps", symlinks=True)
    admin = database_url_file().read_text().strip()
    params = conninfo_to_dict(admin)
    env, commands = bare_commands(
        root,
        command.component.test_file,
        MIX_DEPS_PATH=str(root / "deps"),
        PGUSER=str(params.get("user")),
        PGPASSWORD=str(params.get("password")),
        PGPORT=str(params.get("port")),
    )
    counter = iter(range(10**6))

    async def once() -> float:
        partition = f"9{next(counter):05d}"
        started = time.monotonic()
        for argv in commands:
            job = plain(argv, cwd=workspace, env={**env, "MIX_TEST_PARTITION": partition})
            run = await run_process(job, timeout_s=300, cap_bytes=1 << 20)
            if run.exit_code != 0:
                raise RuntimeError(f"B6 bare `{' '.join(argv[:2])}`: {run.output[-2000:]}")
        elapsed = time.monotonic() - started
        with psycopg.connect(admin, autocommit=True) as conn:
            name = sql.Identifier(f"shop_test{partition}")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        return elapsed

    return once


async def run(*, repetitions: int = 7) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="cts-bench-b6-"))
    try:
        with serve_deps(scratch / "served") as deps:
            runner, recorder, command = _step(scratch / "runner", deps)
            cold_s = await _timed_step(runner, command)
            fetch, compile_deps = recorder.runs[0], recorder.runs[1]
            cache = scratch / "runner" / ".build-cache" / command.account_id
            entry = next((cache / command.project_id / "deps").iterdir())
            bare = _bare(scratch / "bare", entry)
            await bare()  # its own build warms up; not counted
            times: dict[str, list[float]] = {"warm": [], "prepare": [], "bare": []}
            again: list[str] = []
            prepare = command.model_copy(update={"step": Step.PREPARE_PROJECT})
            for _ in range(repetitions):
                before = len(recorder.runs)
                times["warm"].append(await _timed_step(runner, command))
                times["prepare"].append(await _timed_step(runner, prepare))
                again += _recompiled(recorder.runs[before:])
                times["bare"].append(await bare())
            runner.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if again:
        raise RuntimeError(f"B6: a warm run touched the dependencies: {again}")
    median = {name: round(statistics.median(values), 3) for name, values in times.items()}
    return {
        "repetitions": repetitions,
        "cold": {
            "run_s": round(cold_s, 3),
            "fetch_s": round(fetch.duration_s, 3),
            "compile_deps_s": round(compile_deps.duration_s, 3),
        },
        "warm_dependencies_rebuilt": len(again),
        "median_s": median,
        "min_s": {name: round(min(values), 3) for name, values in times.items()},
        "max_s": {name: round(max(values), 3) for name, values in times.items()},
        "ratio": {
            "warm_vs_bare": round(median["warm"] / median["bare"], 2),
            "prepare_vs_warm": round(median["prepare"] / median["warm"], 2),
        },
    }
