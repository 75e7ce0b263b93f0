"""The claim document on the real MongoDB-compatible server (FerretDB locally): insert, lease,
compare-and-set takeover, completion, release, tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cts_agent_runner.claims import ClaimConflict, Claimed, ClaimKey, Completed, Held, MongoClaims
from cts_contracts import AgentData, ResultStatus
from cts_runtime.executor import StepOutcome

KEY = ClaimKey("acme", "shop", "session-1", "interaction-1")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def claims(mongo_db: Any, clock: Clock) -> MongoClaims:
    return MongoClaims(mongo_db, clock=clock)


async def test_first_claims_then_others_wait_until_the_lease_lapses(
    claims: MongoClaims, clock: Clock
) -> None:
    await claims.ensure_indexes()
    assert await claims.acquire(KEY, "a", 60) == Claimed(takeover=False)
    assert await claims.acquire(KEY, "b", 60) == Held("a", clock.now + timedelta(seconds=60))
    clock.advance(45)
    assert await claims.renew(KEY, "a", 60)
    clock.advance(45)
    assert isinstance(await claims.acquire(KEY, "b", 60), Held)
    clock.advance(61)
    assert await claims.acquire(KEY, "b", 60) == Claimed(takeover=True)
    assert await claims.acquire(KEY, "c", 60) == Held("b", clock.now + timedelta(seconds=60))
    assert not await claims.renew(KEY, "a", 60)
    assert not await claims.complete(KEY, "a", StepOutcome.ok("late"))


async def test_a_completed_claim_returns_its_outcome_to_everyone(claims: MongoClaims) -> None:
    outcome = StepOutcome.error(
        "no test file written", "no test file written: ...",
        AgentData(step="generate_tests_and_fixtures", turns=2, model="m"),
    )  # fmt: skip
    await claims.acquire(KEY, "a", 60)
    assert await claims.complete(KEY, "a", outcome)
    state = await claims.acquire(KEY, "b", 60)
    assert state == Completed(outcome)
    assert isinstance(state, Completed)
    assert state.outcome.status is ResultStatus.ERROR


async def test_a_released_claim_can_be_taken_at_once(claims: MongoClaims) -> None:
    await claims.acquire(KEY, "a", 60)
    await claims.release(KEY, "a")
    assert await claims.acquire(KEY, "b", 60) == Claimed(takeover=True)


async def test_another_tenant_never_sees_the_claim(claims: MongoClaims) -> None:
    await claims.acquire(KEY, "a", 60)
    intruder = ClaimKey("other", "shop", "session-1", KEY.interaction_id)
    with pytest.raises(ClaimConflict):
        await claims.acquire(intruder, "x", 60)
    assert not await claims.renew(intruder, "a", 60)
