"""Exactly one model run per interaction (``agent_claims``, ``_id`` = interaction id).

A run inserts its claim before the first model call and renews a lease while it works. A
redelivered command then finds the claim: completed -> the stored outcome is answered again;
lease alive -> the owner may still answer or may have died: the agent step waits until the
claim completes or its lease lapses; lease expired (the owner died) -> the first instance to
compare-and-set the owner takes it over. Single-document atomic operations only, so it works on
FerretDB v1 as on MongoDB.

Leases are written by one instance and judged by another, so they are in the database
server's time (``ServerClock``), never in the instance's own: an instance whose clock runs
behind would otherwise write leases that look lapsed to the others, and a live run would be
taken over and paid for twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cts_contracts import AgentData, ResultStatus
from cts_runtime.executor import StepOutcome
from cts_store import ServerClock
from cts_store.collections import AGENT_CLAIMS
from cts_store.grouped_writes import GroupedWrites
from cts_store.tenant_ids import tenant_of

COLLECTION = AGENT_CLAIMS
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ClaimKey:
    account_id: str
    project_id: str
    session_id: str
    interaction_id: str

    def filter(self) -> dict[str, Any]:
        return {"_id": self.interaction_id, "account_id": self.account_id,
                "project_id": self.project_id}  # fmt: skip


@dataclass(frozen=True)
class Claimed:
    takeover: bool


@dataclass(frozen=True)
class Completed:
    outcome: StepOutcome


@dataclass(frozen=True)
class Held:
    owner: str
    lease_until: datetime
    lapses_in_s: float = field(default=0.0, compare=False)
    """By the clock that judged it: how long until a contender may take the claim over."""


ClaimState = Claimed | Completed | Held


class ClaimConflict(Exception):
    """The interaction id is claimed under another tenant: never read across tenants."""


class ClaimStore(Protocol):
    async def acquire(self, key: ClaimKey, owner: str, lease_s: float) -> ClaimState: ...
    async def renew(self, key: ClaimKey, owner: str, lease_s: float) -> bool: ...
    async def complete(self, key: ClaimKey, owner: str, outcome: StepOutcome) -> bool: ...
    async def release(self, key: ClaimKey, owner: str) -> None: ...


def outcome_to_document(outcome: StepOutcome) -> dict[str, Any]:
    return {
        "status": outcome.status.value,
        "summary": outcome.summary,
        "error_message": outcome.error_message,
        "data": outcome.data.model_dump(mode="json") if outcome.data else None,
    }


def outcome_from_document(document: dict[str, Any]) -> StepOutcome:
    data = document.get("data")
    return StepOutcome(
        status=ResultStatus(document["status"]),
        summary=document["summary"],
        error_message=document.get("error_message"),
        data=AgentData.model_validate(data) if data else None,
    )


class MongoClaims:
    def __init__(self, database: AsyncDatabase[dict[str, Any]], *, clock: Clock | None = None):
        """``clock``: a fake for tests; by default the database server's time."""
        self._collection = database[COLLECTION]
        self._inserts = GroupedWrites(self._collection)  # sessions starting together
        self._clock = clock
        self._server = ServerClock(database) if clock is None else None

    async def _now(self) -> datetime:
        if self._server is not None:
            return await self._server.read()
        assert self._clock is not None
        return self._clock()

    async def ensure_indexes(self) -> None:
        await self._collection.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("session_id", ASCENDING)],
            name="by_session",
        )

    async def acquire(self, key: ClaimKey, owner: str, lease_s: float) -> ClaimState:
        now = await self._now()
        if await self._inserts.insert({
            **key.filter(), "session_id": key.session_id, "owner": owner,
            "status": "running", "lease_until": now + timedelta(seconds=lease_s),
            "takeovers": 0, "created_at": now, "updated_at": now,
        }):  # fmt: skip
            return Claimed(takeover=False)
        existing = await self._by_id(key)
        if existing is None:
            raise ClaimConflict(f"interaction {key.interaction_id} belongs to another tenant")
        if existing["status"] == "completed":
            return Completed(outcome_from_document(existing["outcome"]))
        if existing["lease_until"] > now:
            return _held(existing, now)
        # Only one contender can match an expired lease: the winner's new lease is in the future.
        taken = await self._collection.find_one_and_update(
            {**key.filter(), "status": "running", "lease_until": {"$lte": now}},
            {
                "$set": {
                    "owner": owner,
                    "lease_until": now + timedelta(seconds=lease_s),
                    "updated_at": now,
                },
                "$inc": {"takeovers": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if taken is not None:
            return Claimed(takeover=True)
        return await self._after_lost_race(key, now)

    async def _after_lost_race(self, key: ClaimKey, now: datetime) -> ClaimState:
        current = await self._by_id(key)
        if current is None:
            raise ClaimConflict(f"interaction {key.interaction_id} claim vanished")
        if current["status"] == "completed":
            return Completed(outcome_from_document(current["outcome"]))
        return _held(current, now)

    async def _by_id(self, key: ClaimKey) -> dict[str, Any] | None:
        """The claim by ``_id`` alone, the tenant compared here (``cts_store.tenant_ids``:
        stock FerretDB v1 decodes every claim for any other filter); another tenant's is
        ``None``."""
        found = await self._collection.find_one({"_id": key.interaction_id})
        if found is None or tenant_of(found) != (key.account_id, key.project_id):
            return None
        return dict(found)

    async def renew(self, key: ClaimKey, owner: str, lease_s: float) -> bool:
        now = await self._now()
        result = await self._collection.update_one(
            {**key.filter(), "owner": owner, "status": "running"},
            {"$set": {"lease_until": now + timedelta(seconds=lease_s), "updated_at": now}},
        )
        return result.matched_count == 1

    async def complete(self, key: ClaimKey, owner: str, outcome: StepOutcome) -> bool:
        now = await self._now()
        result = await self._collection.update_one(
            {**key.filter(), "owner": owner, "status": "running"},
            {
                "$set": {
                    "status": "completed",
                    "outcome": outcome_to_document(outcome),
                    "completed_at": now,
                    "updated_at": now,
                }
            },
        )
        return result.matched_count == 1

    async def release(self, key: ClaimKey, owner: str) -> None:
        """Let a redelivery take over at once (this run was stopped, not finished)."""
        now = await self._now()
        await self._collection.update_one(
            {**key.filter(), "owner": owner, "status": "running"},
            {"$set": {"lease_until": now, "updated_at": now}},
        )


def _held(document: dict[str, Any], now: datetime) -> Held:
    lease_until: datetime = document["lease_until"]
    return Held(document["owner"], lease_until, (lease_until - now).total_seconds())
