"""Agent leases across instances whose clocks disagree (the real FerretDB; the skew is
libfaketime's, injected into the claiming process as a misconfigured host would have it).

A lease written by an instance 10 s behind must not look lapsed to a correct one (that would
run the same model call twice, paid twice), and a lease written by an instance 10 s ahead must
not outlive its owner by 10 s: a dead owner is taken over once its lease is over.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

from cts_agent_runner.claims import Claimed, ClaimKey, Held, MongoClaims
from cts_testing.skew import skewed_clock_env
from cts_testing.stack import Endpoints

LEASE_S = 4.0

CLAIM = """
import asyncio, sys
from pymongo import AsyncMongoClient
from cts_agent_runner.claims import ClaimKey, MongoClaims

async def main(uri, database, interaction, lease_s):
    client = AsyncMongoClient(uri, tz_aware=True)
    claims = MongoClaims(client[database])
    key = ClaimKey("acme", "shop", "s-1", interaction)
    print(await claims.acquire(key, "skewed", float(lease_s)))
    await client.close()

asyncio.run(main(*sys.argv[1:]))
"""


def claim_with_skew(stack: Endpoints, database: str, interaction: str, offset: str) -> str:
    """Acquire ``interaction``'s claim from a process whose wall clock is off by ``offset``
    and which then exits, as an owner that dies right after claiming would."""
    env = {**os.environ, **skewed_clock_env(offset)}
    done = subprocess.run(
        [sys.executable, "-c", CLAIM, stack.mongodb_uri, database, interaction, str(LEASE_S)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Claimed(takeover=False)" in done.stdout, done.stdout
    return done.stdout


async def test_leases_hold_and_lapse_by_one_clock(stack: Endpoints, mongo_db: Any) -> None:
    judge = MongoClaims(mongo_db)
    behind, ahead = (ClaimKey("acme", "shop", "s-1", name) for name in ("i-behind", "i-ahead"))
    await asyncio.to_thread(claim_with_skew, stack, mongo_db.name, "i-behind", "-10s")
    held = await judge.acquire(behind, "judge", LEASE_S)
    assert isinstance(held, Held), f"a live lease of an instance 10 s behind was taken: {held}"
    assert held.owner == "skewed"
    assert 0 < held.lapses_in_s <= LEASE_S + 1, held

    await asyncio.to_thread(claim_with_skew, stack, mongo_db.name, "i-ahead", "+10s")
    claimed = time.monotonic()
    # The skewed owners died after claiming: once the lease is over, both are taken over,
    # the one written 10 s ahead as soon as the other.
    await asyncio.sleep(LEASE_S + 1.0)
    assert await judge.acquire(behind, "judge", LEASE_S) == Claimed(takeover=True)
    taken = await judge.acquire(ahead, "judge", LEASE_S)
    assert taken == Claimed(takeover=True), (
        f"a dead owner's lease outlived it {time.monotonic() - claimed:.1f} s after: {taken}"
    )
