"""Per-project build reuse: the first session of a project compiles it, the next compiles
nothing, and the user's workspace gets no ``_build``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cts_contracts import ResultStatus
from cts_test_runner.process import plain, run_process
from cts_test_runner.service import RunTests


async def _timed(runner: RunTests, command: Any) -> tuple[Any, float]:
    started = time.monotonic()
    outcome = await runner(command)
    return outcome, time.monotonic() - started


async def test_second_session_of_a_project_reuses_the_build(
    tmp_path: Path, scenario: Callable[[str], str], sandbox_factory: Any
) -> None:
    sandbox = sandbox_factory(tmp_path)
    runner, recorder = sandbox.runner()
    first_session = sandbox.workspace(scenario("aligned_test.exs"))
    second_session = sandbox.workspace(scenario("aligned_test.exs"))

    cold, cold_s = await _timed(runner, first_session)
    warm, warm_s = await _timed(runner, second_session)

    assert cold.status is ResultStatus.OK, cold.error_message
    assert warm.status is ResultStatus.OK, warm.error_message
    cold_compile, _, warm_compile, _ = recorder.runs
    assert "Compiled lib/my_app/accounts/user.ex" in cold_compile.output
    assert "Compiled " not in warm_compile.output
    build = tmp_path / ".build-cache" / "acme" / "shop" / "mix"  # MIX_BUILD_ROOT
    assert (build / "test" / "lib" / "my_app").is_dir()
    assert not (sandbox.path(first_session) / "_build").exists()
    print(  # the numbers quoted in the resolution (pytest -s shows them)
        f"\nsample project RunTests: cold {cold_s:.2f}s (mix compile "
        f"{cold_compile.duration_s:.2f}s), warm {warm_s:.2f}s (mix compile "
        f"{warm_compile.duration_s:.2f}s)"
    )


async def test_without_the_cache_every_run_compiles_from_scratch(
    tmp_path: Path, scenario: Callable[[str], str], sandbox_factory: Any
) -> None:
    sandbox = sandbox_factory(tmp_path)
    runner, recorder = sandbox.runner(test_build_cache=False)
    command = sandbox.workspace(scenario("aligned_test.exs"))

    await runner(command)
    await runner(command)

    compiles = [run for run in recorder.runs if run.argv[:2] == ("mix", "compile")]
    assert len(compiles) == 2
    assert all("Compiled lib/my_app.ex" in run.output for run in compiles)
    assert not (tmp_path / ".build-cache").exists()


async def test_mix_build_root_is_honoured_by_elixir(tmp_path: Path, sandbox_factory: Any) -> None:
    """The assumption the cache rests on, checked directly against this machine's Mix."""
    sandbox = sandbox_factory(tmp_path)
    workspace = tmp_path / "plain"
    sandbox.copy_sample(workspace)
    build_root = tmp_path / "elsewhere"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "MIX_ENV": "test",
        "MIX_BUILD_ROOT": str(build_root),
    }

    result = await run_process(
        plain(["mix", "compile"], cwd=workspace, env=env), timeout_s=120, cap_bytes=1 << 20
    )

    assert result.exit_code == 0, result.output
    assert (build_root / "test" / "lib" / "my_app" / "ebin" / "Elixir.MyApp.beam").is_file()
    assert not (workspace / "_build").exists()
