"""B2: throughput for N concurrent sessions, one and two replicas, CTS beside the floor.

Every deployment is up for the whole phase and the runs for one N follow each other (floor,
CTS, floor x2, CTS x2), so a change in the machine's background load hits all of them alike.
Each burst starts from an empty collection. A burst that has not finished after ``cap_s``
counts the sessions that did finish; its deployment is then stopped so its backlog does not
compete with the next measurement.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack
from typing import Any

from bench.drive import Driver
from bench.stats import ratio
from bench.systems import Kind, RunContext, deploy

TRANSITIONS_PER_SESSION = 4
"""Four completions per happy-path session, each leading to a command or the finish."""

CONFIGS: tuple[tuple[Kind, int], ...] = (("floor", 1), ("cts", 1), ("floor", 2), ("cts", 2))


async def run(
    ctx: RunContext,
    *,
    sizes: tuple[int, ...],
    min_sessions: int = 20,
    warmup: int = 10,
    replicas: tuple[int, ...] = (1, 2),
    cap_s: float = 60,
) -> dict[str, Any]:
    configs = [(kind, n) for kind, n in CONFIGS if n in replicas]
    rows: list[dict[str, Any]] = []
    async with AsyncExitStack() as stack:
        drivers: dict[tuple[Kind, int], Driver] = {}
        for kind, n in configs:
            deployment = await stack.enter_async_context(
                deploy(ctx, kind, f"b2-{kind}-r{n}", replicas=n)
            )
            drivers[(kind, n)] = driver = Driver(deployment)
            for _ in range(warmup):
                await driver.one()
        stopped: set[tuple[Kind, int]] = set()
        for size in sizes:
            rounds = max(1, math.ceil(min_sessions / size))
            for config, driver in drivers.items():
                if config in stopped:
                    continue
                rows.append(await _measure(driver, size, rounds, cap_s))
                if not rows[-1]["complete"]:
                    driver.deployment.halt()
                    stopped.add(config)
    return {"cap_s": cap_s, "rows": rows, "comparisons": _compare(rows)}


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
        "system": deployment.kind,
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


def _compare(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {(r["system"], r["replicas"], r["n"]): r for r in rows}
    out = []
    for size in sorted({r["n"] for r in rows}):
        row: dict[str, Any] = {"n": size}
        for n in (1, 2):
            cts, floor = by.get(("cts", n, size)), by.get(("floor", n, size))
            if cts and floor:
                row[f"cts_vs_floor_r{n}"] = ratio(cts["sessions_per_s"], floor["sessions_per_s"])
        for system in ("cts", "floor"):
            one, two = by.get((system, 1, size)), by.get((system, 2, size))
            if one and two:
                row[f"{system}_two_vs_one"] = ratio(two["sessions_per_s"], one["sessions_per_s"])
        out.append(row)
    return out
