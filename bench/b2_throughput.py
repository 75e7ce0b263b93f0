"""B2: throughput for N concurrent sessions, one and two replicas, CTS beside the floor.

Every deployment is up for the whole phase and the runs for one N follow each other (floor,
CTS, floor x2, CTS x2), so a change in the machine's background load hits all of them alike.
That is repeated ``repeats`` times and each system reports its median run, and each run holds
at least ``min_sessions`` sessions (bursts of N one after another): one burst of 100 sessions
lasts about two seconds, two bursts of 10 a fraction of one, and single runs of one
unchanged tree gave CTS/floor from 0.66 to 0.79 at N = 100 and 0.69 to 0.94 at N = 10.
Each burst starts from an empty collection. A burst that has not finished after ``cap_s``
counts the sessions that did finish; its deployment is then stopped so its backlog does not
compete with the next measurement.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack
from typing import Any

from bench.context import RunContext
from bench.drive import Driver
from bench.stats import ratio
from bench.systems import Kind, deploy

TRANSITIONS_PER_SESSION = 5
"""Five completions per happy-path session, each leading to a command or the finish."""

CONFIGS: tuple[tuple[str, int], ...] = (
    ("floor", 1), ("floor-cas", 1), ("cts", 1), ("floor", 2), ("cts", 2),
)  # fmt: skip
"""(system, replicas); every variant of ``RunContext.variants`` runs with one replica too."""
AUTH_CONFIGS: tuple[tuple[str, int], ...] = (("floor-auth", 1), ("cts-auth", 1))
"""On the authenticated broker, when the run has one."""


async def run(
    ctx: RunContext,
    *,
    sizes: tuple[int, ...],
    min_sessions: int = 100,
    warmup: int = 10,
    replicas: tuple[int, ...] = (1, 2),
    cap_s: float = 30,
    repeats: int = 3,
) -> dict[str, Any]:
    configs = [(name, n) for name, n in CONFIGS if n in replicas]
    configs[3:3] = [(name, 1) for name in ctx.variants]
    if ctx.auth is not None:
        configs += [(name, n) for name, n in AUTH_CONFIGS if n in replicas]
    rows: list[dict[str, Any]] = []
    async with AsyncExitStack() as stack:
        drivers: dict[tuple[str, int], Driver] = {}
        for name, n in configs:
            kinds: tuple[Kind, ...] = ("floor", "floor-cas", "floor-auth", "cts-auth")
            kind: Kind = next((k for k in kinds if k == name), "cts")
            deployment = await stack.enter_async_context(
                deploy(
                    ctx,
                    kind,
                    f"b2-{name}-r{n}",
                    replicas=n,
                    source=ctx.variants.get(name),
                    env=ctx.variant_env.get(name),
                )
            )
            drivers[(name, n)] = driver = Driver(deployment)
            for _ in range(warmup):
                await driver.one()
        stopped: set[tuple[str, int]] = set()
        for size in sizes:
            rounds = max(1, math.ceil(min_sessions / size))
            runs: dict[tuple[str, int], list[dict[str, Any]]] = {c: [] for c in drivers}
            for _ in range(repeats):
                for config, driver in drivers.items():
                    if config in stopped:
                        continue
                    measured = await _measure(driver, size, rounds, cap_s)
                    runs[config].append({"system": config[0], **measured})
                    if not measured["complete"]:
                        driver.deployment.halt()
                        stopped.add(config)
            rows += [_median_run(measured) for measured in runs.values() if measured]
    return {"cap_s": cap_s, "repeats": repeats, "rows": rows, "comparisons": _compare(rows)}


async def _measure(driver: Driver, size: int, rounds: int, cap_s: float) -> dict[str, Any]:
    deployment = driver.deployment
    services = deployment.services
    cpu_before = sum(s.cpu_seconds() for s in services)
    seconds, finished, complete = 0.0, 0, True
    for _ in range(rounds):
        await deployment.forget()
        burst = await driver.burst(size, within=cap_s)
        seconds += burst.seconds
        finished += burst.finished
        if not burst.complete:
            complete = False
            break
    cpu = sum(s.cpu_seconds() for s in services) - cpu_before
    return {
        "replicas": len(services),
        "n": size,
        "sessions": finished,
        "complete": complete,
        "seconds": round(seconds, 3),
        "sessions_per_s": round(finished / seconds, 2) if seconds else 0.0,
        "transitions_per_s": round(TRANSITIONS_PER_SESSION * finished / seconds, 1)
        if seconds
        else 0.0,
        "cpu_ms_per_session": round(cpu * 1000 / finished, 2) if finished else None,
        "peak_rss_mb": [s.peak_rss_mb() for s in services],
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput (the lower of the middle two), with every run's
    throughput beside it; a capped run, which ends the series, is reported as it is."""
    if runs[-1]["complete"]:
        kept = sorted(runs, key=lambda r: r["sessions_per_s"])[(len(runs) - 1) // 2]
    else:
        kept = runs[-1]
    return kept | {"runs_sessions_per_s": [r["sessions_per_s"] for r in runs]}


def _compare(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {(r["system"], r["replicas"], r["n"]): r for r in rows}
    systems = list(dict.fromkeys(r["system"] for r in rows if r["system"] != "floor"))
    out = []
    for size in sorted({r["n"] for r in rows}):
        row: dict[str, Any] = {"n": size}
        for system in systems:
            for n in (1, 2):
                mine, floor = by.get((system, n, size)), by.get(("floor", n, size))
                if mine and floor:
                    row[f"{system}_vs_floor_r{n}"] = ratio(
                        mine["sessions_per_s"], floor["sessions_per_s"]
                    )
        for system in ("cts", "floor"):
            one, two = by.get((system, 1, size)), by.get((system, 2, size))
            if one and two:
                row[f"{system}_two_vs_one"] = ratio(two["sessions_per_s"], one["sessions_per_s"])
            plain, authed = by.get((system, 1, size)), by.get((f"{system}-auth", 1, size))
            if plain and authed:
                row[f"{system}_auth_vs_plain"] = ratio(
                    authed["sessions_per_s"], plain["sessions_per_s"]
                )
        out.append(row)
    return out
