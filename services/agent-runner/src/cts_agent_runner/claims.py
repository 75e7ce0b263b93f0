"""Exactly one model run per interaction (``agent_claims``, ``_id`` = interaction id).

A run inserts its claim before the first model call and renews a lease while it works. A
redelivered command then finds the claim: completed -> the stored outcome is answered again;
lease alive -> the owner may still answer or may have died: the agent step waits until the
claim completes or its lease lapses; lease expired (the owner died) -> the first instance to
compare-and-set the owner takes it over. Single-document atomic operations only, so it works on
FerretDB v1 as on MongoDB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cts_contracts import AgentData, ResultStatus
from cts_runtime.executor import StepOutcome

COLLECTION = "agent_claims"
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    def __init__(self, database: AsyncDatabase[dict[str, Any]], *, clock: Clock = utcnow):
        self._collection = database[COLLECTION]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        await self._collection.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("session_id", ASCENDING)],
            name="by_session",
        )

    async def acquire(self, key: ClaimKey, owner: str, lease_s: float) -> ClaimState:
        now = self._clock()
        try:
            await self._collection.insert_one({
                **key.filter(), "session_id": key.session_id, "owner": owner,
                "status": "running", "lease_until": now + timedelta(seconds=lease_s),
                "takeovers": 0, "created_at": now, "updated_at": now,
            })  # fmt: skip
            return Claimed(takeover=False)
        except DuplicateKeyError:
            pass
        existing = await self._collection.find_one(key.filter())
        if existing is None:
            raise ClaimConflict(f"interaction {key.interaction_id} belongs to another tenant")
        if existing["status"] == "completed":
            return Completed(outcome_from_document(existing["outcome"]))
        if existing["lease_until"] > now:
            return Held(existing["owner"], existing["lease_until"])
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
        return await self._after_lost_race(key)

    async def _after_lost_race(self, key: ClaimKey) -> ClaimState:
        current = await self._collection.find_one(key.filter())
        if current is None:
            raise ClaimConflict(f"interaction {key.interaction_id} claim vanished")
        if current["status"] == "completed":
            return Completed(outcome_from_document(current["outcome"]))
        return Held(current["owner"], current["lease_until"])

    async def renew(self, key: ClaimKey, owner: str, lease_s: float) -> bool:
        now = self._clock()
        result = await self._collection.update_one(
            {**key.filter(), "owner": owner, "status": "running"},
            {"$set": {"lease_until": now + timedelta(seconds=lease_s), "updated_at": now}},
        )
        return result.matched_count == 1

    async def complete(self, key: ClaimKey, owner: str, outcome: StepOutcome) -> bool:
        now = self._clock()
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
        now = self._clock()
        await self._collection.update_one(
            {**key.filter(), "owner": owner, "status": "running"},
            {"$set": {"lease_until": now, "updated_at": now}},
        )
