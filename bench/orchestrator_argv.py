"""How the benchmark launches an orchestrator: plain, under a profiler, with the database
monitor, or from another source tree (a variant)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.context import RunContext


def sources(tree: Path | None) -> tuple[Path, ...]:
    if tree is None:
        return ()
    packages = ("services/orchestrator", "libs/cts-core", "libs/cts-store", "libs/cts-runtime")
    found = tuple(tree / p / "src" for p in packages if (tree / p / "src").is_dir())
    if not found:
        raise FileNotFoundError(f"no orchestrator, core, store or runtime sources under {tree}")
    return found


def db_monitor_env(ctx: RunContext, label: str, index: int) -> dict[str, str]:
    if ctx.profile_dir is None or ctx.profiler != "db":
        return {}
    return {"BENCH_DB_MONITOR_OUT": str(ctx.profile_dir / f"{label}-orchestrator{index}.db.json")}


def orchestrator_argv(ctx: RunContext, label: str, index: int) -> list[str]:
    if ctx.profile_dir is None or ctx.profiler == "db":
        # The launcher only adds the hooks its BENCH_* variables ask for.
        return [sys.executable, "-m", "bench.launch", "cts_orchestrator"]
    name = ctx.profile_dir / f"{label}-orchestrator{index}"
    if ctx.profiler == "cprofile":
        # Function-level CPU (tottime), stdlib only: python -m pstats <file>
        return [sys.executable, "-m", "cProfile", "-o", f"{name}.prof", "-m", "cts_orchestrator"]
    # A session file renders later any way one likes (flat, tree, html):
    # uv run --with pyinstrument python -m pyinstrument --load=<file> -r text -p flat=true
    return [sys.executable, "-m", "pyinstrument", "--renderer", "session",
            "-o", f"{name}.pyisession", "-m", "cts_orchestrator"]  # fmt: skip
