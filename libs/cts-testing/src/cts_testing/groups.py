"""Wait until consumer groups have every replica in them, so what a test or a benchmark then
sends is consumed by all of them, not by whoever joined first during a rebalance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from cts_testing.processes import Process


async def wait_for_groups(
    bootstrap: str,
    group_ids: Sequence[str],
    *,
    members: int,
    processes: Sequence[Process] = (),
    within: float = 90,
    security: dict[str, Any] | None = None,
) -> None:
    """Until every group is Stable with ``members`` members; fails at once when one of
    ``processes`` exited (with its log's tail). ``security``: aiokafka's SASL/TLS arguments."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(security or {}))
    await admin.start()
    try:
        deadline = time.monotonic() + within
        while True:
            dead = [p for p in processes if not p.alive()]
            if dead:
                raise RuntimeError(f"{dead[0].argv} exited:\n{dead[0].log_tail()}")
            states = {g: await _describe(admin, g) for g in group_ids}
            if all(states.get(g) == ("Stable", members) for g in group_ids):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer groups not ready: {states}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _describe(admin: AIOKafkaAdminClient, group_id: str) -> tuple[str, int]:
    """(state, members); a group not created yet reads as absent. aiokafka cannot decode
    Kafka 4's answer for an unknown group (the connection drops), so that is an absence too."""
    try:
        (response,) = await admin.describe_consumer_groups([group_id])
    except (KafkaError, ValueError):
        return ("Absent", 0)
    for _error, name, state, _type, _protocol, members, *_ in response.groups:
        if name == group_id:
            return (state, len(members))
    return ("Absent", 0)
