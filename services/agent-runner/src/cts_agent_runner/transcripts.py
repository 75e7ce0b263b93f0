"""Agent conversations, one per session (``agent_transcripts``), so FixCompilationErrors
continues the conversation Generate started, and a step that failed part-way resumes where it
was.

A finished step's conversation is stored bounded: thinking is stripped first (its turns have
ended, and a signed block must never be shortened), then long tool results and written file
contents are cut to a per-block cap, and if the whole is still over the size cap the oldest of
them are elided first. A running step also keeps a *checkpoint* after every turn: its
conversation verbatim (thinking and all, as the next call must send it), the files it wrote and
its turns, which a retry of the same step after a transient failure continues from. Messages
are kept as JSON strings: tool inputs come from the model, and their keys must not become
document keys (MongoDB-compatible stores restrict ``.`` and ``$`` in keys).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cts_agent_runner.conversation import (
    Message,
    bulky_slots,
    strip_cache_control,
    strip_thinking,
)
from cts_store.collections import AGENT_TRANSCRIPTS
from cts_store.grouped_writes import GroupedWrites
from cts_store.tenant_ids import TenantIds

COLLECTION = AGENT_TRANSCRIPTS
ELIDED = "[elided to keep the stored transcript under its size cap]"


@dataclass(frozen=True)
class Checkpoint:
    """A step's conversation so far, verbatim, and what the step had done by then."""

    step: str
    fix_attempt: int
    interaction_id: str
    messages: list[Message]
    written: list[str]
    turns: int

    def continues(self, step: str, fix_attempt: int) -> bool:
        return (self.step, self.fix_attempt) == (step, fix_attempt)


@dataclass(frozen=True)
class Transcript:
    messages: list[Message]
    interactions: list[str]
    checkpoint: Checkpoint | None = None


class TranscriptStore(Protocol):
    async def load(
        self, account_id: str, project_id: str, session_id: str
    ) -> Transcript | None: ...

    async def save(self, account_id: str, project_id: str, session_id: str, *,
                   transcript: Transcript, model: str) -> str: ...  # fmt: skip

    async def save_checkpoint(self, account_id: str, project_id: str, session_id: str,
                              checkpoint: Checkpoint | None) -> None: ...  # fmt: skip


def _cut(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return f"{text[:cap]}\n…[{len(text) - cap} more characters not kept in the transcript]"


def bound_messages(
    messages: list[Message], *, block_cap: int, total_cap: int
) -> tuple[list[Message], bool]:
    """A copy without thinking that fits ``total_cap`` bytes of JSON, and whether anything
    was cut."""
    bounded = strip_cache_control(strip_thinking(messages))
    cut = False
    slots = list(bulky_slots(bounded))
    for container, key in slots:
        value = container[key]
        if isinstance(value, str) and len(value) > block_cap:
            container[key], cut = _cut(value, block_cap), True

    def size() -> int:
        return len(json.dumps(bounded))

    for container, key in slots:
        if size() <= total_cap:
            break
        if container[key] != ELIDED:
            container[key], cut = ELIDED, True
    if size() > total_cap:
        # Only prose is left to shorten: give every text block an equal share.
        texts = [b for m in bounded if isinstance(m.get("content"), list)
                 for b in m["content"] if b.get("type") == "text"]  # fmt: skip
        share = max(200, total_cap // (2 * max(1, len(texts))))
        for block in texts:
            block["text"], cut = _cut(block["text"], share), True
    return bounded, cut


class MongoTranscripts:
    def __init__(self, database: AsyncDatabase[dict[str, Any]], *, block_cap: int,
                 total_cap: int) -> None:  # fmt: skip
        self._collection = database[COLLECTION]
        self._tenants = TenantIds(self._collection)
        self._writes = GroupedWrites(self._collection)  # turns of many sessions at once
        self._block_cap = block_cap
        self._total_cap = total_cap

    async def ensure_indexes(self) -> None:
        await self._collection.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("session_id", ASCENDING)],
            name="by_session",
        )

    async def load(self, account_id: str, project_id: str, session_id: str) -> Transcript | None:
        document = await self._collection.find_one({"_id": session_id})
        if not self._tenants.found(session_id, document, (account_id, project_id)) or not document:
            return None
        checkpoint = None
        if meta := document.get("checkpoint"):
            checkpoint = Checkpoint(
                step=meta["step"], fix_attempt=int(meta["fix_attempt"]),
                interaction_id=meta["interaction_id"],
                messages=json.loads(document["checkpoint_json"]), written=list(meta["written"]),
                turns=int(meta["turns"]),
            )  # fmt: skip
        return Transcript(json.loads(document.get("messages_json") or "[]"),
                          list(document.get("interactions") or []), checkpoint)  # fmt: skip

    async def save_checkpoint(self, account_id: str, project_id: str, session_id: str,
                              checkpoint: Checkpoint | None) -> None:  # fmt: skip
        """Replace (or with ``None`` drop) the running step's checkpoint; the finished
        conversation beside it is left alone."""
        where = await self._where(account_id, project_id, session_id)
        if checkpoint is None:
            await self._collection.update_one(
                where, {"$unset": {"checkpoint": "", "checkpoint_json": ""}}
            )
            return
        meta = {"step": checkpoint.step, "fix_attempt": checkpoint.fix_attempt,
                "interaction_id": checkpoint.interaction_id, "written": checkpoint.written,
                "turns": checkpoint.turns, "saved_at": datetime.now(UTC)}  # fmt: skip
        await self._upsert(session_id, UpdateOne(
            where,
            {"$set": {"checkpoint": meta, "checkpoint_json": json.dumps(checkpoint.messages),
                      "account_id": account_id, "project_id": project_id,
                      "session_id": session_id, "kind": "agent_transcript"}},
            upsert=True,
        ))  # fmt: skip

    async def save(self, account_id: str, project_id: str, session_id: str, *,
                   transcript: Transcript, model: str) -> str:  # fmt: skip
        """Replaces the session's transcript (a checkpoint beside it goes: the step it belonged
        to has ended); its id is the session id."""
        messages, truncated = bound_messages(
            transcript.messages, block_cap=self._block_cap, total_cap=self._total_cap
        )
        text = json.dumps(messages)
        await self._upsert(
            session_id,
            ReplaceOne(
                await self._where(account_id, project_id, session_id),
                {
                    "account_id": account_id,
                    "project_id": project_id,
                    "session_id": session_id,
                    "kind": "agent_transcript",
                    "model": model,
                    "interactions": transcript.interactions[-50:],
                    "message_count": len(messages),
                    "messages_json": text,
                    "size": len(text),
                    "truncated": truncated,
                    "updated_at": datetime.now(UTC),
                },
                upsert=True,
            ),
        )
        return session_id

    async def _upsert(self, session_id: str, operation: UpdateOne | ReplaceOne[Any]) -> None:
        if not await self._writes.write(operation):  # two first upserts of one _id raced
            raise DuplicateKeyError(f"transcript {session_id}: a concurrent first write")

    async def _where(self, account_id: str, project_id: str, session_id: str) -> dict[str, str]:
        """The session's transcript by ``_id`` alone (``TenantIds``); another tenant's id is
        refused as the tenant filter refused it before: a duplicate key."""
        if not await self._tenants.writable(session_id, (account_id, project_id)):
            raise DuplicateKeyError(f"transcript {session_id} belongs to another tenant")
        return {"_id": session_id}
