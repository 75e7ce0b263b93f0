"""Where a B4 session's time goes, read back from the sessions the orchestrator stored.

Every interaction holds when the orchestrator requested it, when its executor started it and
when the executor completed it (one machine, one clock), so each step splits into its wait
(``requested_at`` to ``started_at``: the command's trip through Kafka and the executor's
window), its run (``started_at`` to ``completed_at``) and the orchestrator's turn after it
(``completed_at`` to the next step's ``requested_at``, or to the session's end).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo import AsyncMongoClient

from bench.stats import percentile
from cts_core import Scope
from cts_store import SessionStore

PARTS = ("wait", "run", "after")


async def step_times(
    mongodb_uri: str, database: str, scope_of: dict[str, Scope]
) -> dict[str, dict[str, dict[str, float]]]:
    """Per step: p50 / p95 / max seconds of its wait, run and the orchestrator's turn after
    it, over the sessions ``scope_of`` names (session id -> its tenant)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    parts: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    try:
        store = SessionStore(client[database])
        for session_id, scope in scope_of.items():
            session = await store.get(scope, session_id)
            if session is None:
                continue
            steps = session.interactions
            for index, step in enumerate(steps):
                result = step.result
                if result is None or result.started_at is None:
                    continue
                following = steps[index + 1].requested_at if index + 1 < len(steps) else None
                end = following or session.finished_at or result.completed_at
                times = parts[step.step.value]
                times["wait"].append((result.started_at - step.requested_at).total_seconds())
                times["run"].append((result.completed_at - result.started_at).total_seconds())
                times["after"].append((end - result.completed_at).total_seconds())
    finally:
        await client.close()
    return {
        step: {
            part: {
                "p50": round(percentile(values, 50), 2),
                "p95": round(percentile(values, 95), 2),
                "max": round(max(values), 2),
            }
            for part, values in by_part.items()
        }
        for step, by_part in parts.items()
    }
