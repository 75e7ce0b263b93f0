"""B1: step-transition latency, CTS beside the raw floor.

A transition is timed from the executor publishing ``StepCompleted`` to the executor receiving
the session's next ``StepRequested``. Sessions run one at a time (no queueing), CTS and floor
sessions alternate, so both see the same background load.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack
from typing import Any

from bench.context import RunContext
from bench.drive import Driver
from bench.executor import Hop
from bench.stats import latency_summary, ratio
from bench.systems import Kind, deploy

SYSTEMS: tuple[Kind, ...] = ("floor", "floor-cas", "cts")
"""``floor-cas`` is the floor with a compare-and-set filter: it tells how much of the gap is the
store's price for that filter rather than CTS's code."""
AUTH_SYSTEMS: tuple[Kind, ...] = ("floor-auth", "cts-auth")
"""On the authenticated broker, when the run has one: ``cts-auth``/``cts`` is what SASL and the
ACLs cost CTS, ``floor-auth``/``floor`` what they (and the second broker) cost the raw chain."""
QUANTILES = ("p50", "p95", "p99")
HOPS_PER_SESSION = 3
"""Initialize -> Generate -> RunTests -> Finalize: three completions lead to a next command."""


def _transitions(hops: list[Hop]) -> list[float]:
    return [hop.seconds for hop in hops if hop.after == "completion"]


async def run(ctx: RunContext, *, transitions: int = 2000, warmup: int = 10) -> dict[str, Any]:
    async with AsyncExitStack() as stack:
        drivers: dict[str, Driver] = {
            kind: Driver(await stack.enter_async_context(deploy(ctx, kind, f"b1-{kind}")))
            for kind in (*SYSTEMS, *(AUTH_SYSTEMS if ctx.auth else ()))
        }
        for name, tree in ctx.variants.items():
            deployment = deploy(
                ctx, "cts", f"b1-{name}", source=tree, env=ctx.variant_env.get(name)
            )
            drivers[name] = Driver(await stack.enter_async_context(deployment))
        for driver in drivers.values():
            for _ in range(warmup):
                await driver.deployment.forget([await driver.one()])
            driver.deployment.executor.tally.hops.clear()
        cpu_before = {k: d.deployment.services[0].cpu_seconds() for k, d in drivers.items()}
        sessions = math.ceil(transitions / HOPS_PER_SESSION)
        for _ in range(sessions):
            for driver in drivers.values():
                # Outside the timed hops: every transition sees the same near-empty collection.
                await driver.deployment.forget([await driver.one()])
        result: dict[str, Any] = {"sessions": sessions, "systems": list(drivers)}
        for kind, driver in drivers.items():
            service = driver.deployment.services[0]
            hops = driver.deployment.executor.tally.hops
            cpu = service.cpu_seconds() - cpu_before[kind]
            result[kind] = {
                **latency_summary(_transitions(hops)),
                "first_command": latency_summary([h.seconds for h in hops if h.after == "request"]),
                "cpu_ms_per_session": round(cpu * 1000 / sessions, 2),
                "peak_rss_mb": service.peak_rss_mb(),
            }
    result["ratios"] = {
        name: {
            **{q: ratio(result[name][f"{q}_ms"], result["floor"][f"{q}_ms"]) for q in QUANTILES},
            "cpu": ratio(result[name]["cpu_ms_per_session"], result["floor"]["cpu_ms_per_session"]),
        }
        for name in result["systems"]
        if name != "floor"
    }
    result["ratio"] = result["ratios"]["cts"]
    if "cts-auth" in drivers:
        result["auth_ratios"] = {
            name: {q: ratio(result[f"{name}-auth"][f"{q}_ms"], result[name][f"{q}_ms"])
                   for q in QUANTILES}
            for name in ("cts", "floor")
        }  # fmt: skip
    return result
