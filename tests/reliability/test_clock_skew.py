"""Replicas whose clocks disagree: one orchestrator runs 10 s behind and one 10 s ahead of
the third (libfaketime shifts the wall clock of the whole process, as a misconfigured host
would). None of them may take the others for dead, so every command goes out once; and a
replica that really dies is still taken over.

The outbox grace period is 2 s (the fleet's), far less than the skew: with each replica
stamping its own clock, the one behind always looks dead to the others and its commands go
out again at every sweep.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from cts_contracts.topics import GIT_STEP_REQUESTED, SESSION_REQUESTED, topic
from cts_testing.factories import session_requested
from cts_testing.kafka import publish
from cts_testing.skew import skewed_clock_env
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.fleet import fleet
from tests.reliability.harness import events_of, observer, wait_until

SKEW_S = 10
SESSIONS = 9
QUIET_S = 8.0
"""Four grace periods and eight sweeps: the bug re-publishes within the first sweep."""


def commands_per_interaction(events: Any) -> Counter[str]:
    return Counter(e["data"]["interaction_id"] for e in events_of(events, GIT_STEP_REQUESTED))


async def test_skewed_replicas_never_take_each_other_for_dead(
    stack: Endpoints, tmp_path: Path
) -> None:
    async with fleet(stack, tmp_path, [], roles=("orchestrator",)) as services:
        behind = services.start("orchestrator", **skewed_clock_env(f"-{SKEW_S}s"))
        ahead = services.start("orchestrator", **skewed_clock_env(f"+{SKEW_S}s"))
        await services.ready()
        async with observer(stack, services.prefix) as events:
            requests = [session_requested(request_id=f"skew-{n}") for n in range(SESSIONS)]
            for request in requests:
                await publish(stack.kafka_bootstrap_servers,
                              topic(SESSION_REQUESTED, services.prefix), request,
                              key=request.data.session_id,
                              security=stack.kafka_options("client"))  # fmt: skip
            # Nobody runs Initialize: every command stays in its writer's outbox.
            await wait_until(lambda: len(commands_per_interaction(events)) == SESSIONS,
                             within=60, what="a command per session")  # fmt: skip
            await asyncio.sleep(QUIET_S)
            sent = commands_per_interaction(events)
            assert set(sent.values()) == {1}, f"commands sent again: {sent}\n{services.logs()}"

            async with database(stack, services.database) as db:
                owners = Counter(
                    [d["outbox_owner"] async for d in db["sessions"].find({}, {"outbox_owner": 1})]
                )
                services.crash(behind)  # really dead now: no clean hand-over
                await asyncio.sleep(1.5)  # three beats of the live ones
                beats = {d["_id"]: d["beat_at"] async for d in db["orchestrator_instances"].find()}
            dead = min(beats, key=lambda instance: beats[instance])
            owned = owners[dead]
            assert owned > 0, f"the replica behind wrote no outbox: {owners}, beats {beats}"
            await wait_until(lambda: sum(commands_per_interaction(events).values())
                             >= SESSIONS + owned,
                             within=30, what="the dead replica's commands re-sent")  # fmt: skip
            await asyncio.sleep(2)  # one more grace period: nothing else goes out again
            resent = {i for i, n in commands_per_interaction(events).items() if n > 1}
            assert len(resent) == owned, f"{resent} re-sent; the dead one owned {owned}"
            assert ahead.alive()
