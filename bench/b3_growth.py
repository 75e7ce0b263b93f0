"""B3: does a transition cost more as a session accumulates interactions?

Sessions with ``max_fix_attempts=10`` whose RunTests fails until fix attempt 1, or until fix
attempt 10: the stored document size of each, and the transition latency at fix attempt 1
versus 10 within the same long sessions.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from bench.context import RunContext
from bench.drive import Driver
from bench.executor import Hop
from bench.stats import latency_summary, ratio
from bench.systems import deploy


async def run(ctx: RunContext, *, sessions: int = 20, warmup: int = 3) -> dict[str, Any]:
    target = {"fix_attempts": 1}

    def fail_when(command: dict[str, Any]) -> bool:
        return bool(command.get("fix_attempt", 0) < target["fix_attempts"])

    sizes: dict[int, list[int]] = {1: [], 10: []}
    hops: dict[int, list[Hop]] = {}
    async with deploy(
        ctx, "cts", "b3-cts", fail_when=fail_when, options={"max_fix_attempts": 10}
    ) as deployment:
        driver = Driver(deployment)
        for _ in range(warmup):
            await deployment.forget([await driver.one()])
        for fix_attempts in (1, 10):
            target["fix_attempts"] = fix_attempts
            deployment.executor.tally.hops.clear()
            for _ in range(sessions):
                session_id = await driver.one()
                sizes[fix_attempts] += (await deployment.document_sizes([session_id])).values()
                await deployment.forget([session_id])
            hops[fix_attempts] = [
                h for h in deployment.executor.tally.hops if h.after == "completion"
            ]
    hops_short, hops_long = hops[1], hops[10]
    at = {k: [h.seconds for h in hops_long if h.fix_attempt == k] for k in (1, 10)}
    doc = {k: int(median(v)) for k, v in sizes.items()}
    interactions = {1: 6, 10: 24}  # init, generate, (run, fix) x k, run, finalize
    result: dict[str, Any] = {
        "sessions_per_group": sessions,
        "doc_bytes": {"fix_1": doc[1], "fix_10": doc[10]},
        "doc_bytes_per_interaction": round(
            (doc[10] - doc[1]) / (interactions[10] - interactions[1])
        ),
        "latency_at_fix_1": latency_summary(at[1]),
        "latency_at_fix_10": latency_summary(at[10]),
        "short_sessions": latency_summary([h.seconds for h in hops_short]),
    }
    result["latency_ratio_p50"] = ratio(
        result["latency_at_fix_10"]["p50_ms"], result["latency_at_fix_1"]["p50_ms"]
    )
    result["doc_ratio"] = ratio(doc[10], doc[1])
    return result
