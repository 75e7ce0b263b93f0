"""Large outputs (test output, transcripts) kept outside the session document, size-capped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cts_core import Scope

DEFAULT_CAP = 1024 * 1024
MARKER = "\n…[truncated: {dropped} characters omitted]…\n"


def cap_text(text: str, cap: int) -> tuple[str, bool]:
    """Keep the head and the tail (errors are usually at one end or the other)."""
    if len(text) <= cap:
        return text, False
    half = cap // 2
    dropped = len(text) - 2 * half
    return text[:half] + MARKER.format(dropped=dropped) + text[-half:], True


class ArtifactStore:
    def __init__(self, database: AsyncDatabase[dict[str, Any]], *, cap: int = DEFAULT_CAP) -> None:
        self._artifacts = database["artifacts"]
        self._cap = cap

    async def ensure_indexes(self) -> None:
        await self._artifacts.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("interaction_id", ASCENDING)],
            name="by_interaction",
        )

    async def put(self, scope: Scope, *, artifact_id: str, interaction_id: str, kind: str,
                  text: str) -> str:  # fmt: skip
        """Idempotent by ``artifact_id``: a redelivered step overwrites its own artifact."""
        body, truncated = cap_text(text, self._cap)
        await self._artifacts.replace_one(
            {"_id": artifact_id, "account_id": scope.account_id, "project_id": scope.project_id},
            {
                "account_id": scope.account_id,
                "project_id": scope.project_id,
                "interaction_id": interaction_id,
                "kind": kind,
                "text": body,
                "size": len(text),
                "truncated": truncated,
                "created_at": datetime.now(UTC),
            },
            upsert=True,
        )
        return artifact_id

    async def get(self, scope: Scope, artifact_id: str) -> dict[str, Any] | None:
        return await self._artifacts.find_one(
            {"_id": artifact_id, "account_id": scope.account_id, "project_id": scope.project_id}
        )
