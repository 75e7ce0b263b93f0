"""Agent conversations, one per session (``agent_transcripts``), so FixCompilationErrors
continues the conversation Generate started.

The stored copy is bounded: long tool results and written file contents are cut to a per-block
cap, and if the whole is still over the size cap the oldest of them are elided first. The
messages are kept as one JSON string: tool inputs come from the model, and their keys must not
become document keys (MongoDB-compatible stores restrict ``.`` and ``$`` in keys).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cts_agent_runner.conversation import Message, strip_cache_control

COLLECTION = "agent_transcripts"
ELIDED = "[elided to keep the stored transcript under its size cap]"


@dataclass(frozen=True)
class Transcript:
    messages: list[Message]
    interactions: list[str]


class TranscriptStore(Protocol):
    async def load(
        self, account_id: str, project_id: str, session_id: str
    ) -> Transcript | None: ...

    async def save(self, account_id: str, project_id: str, session_id: str, *,
                   transcript: Transcript, model: str) -> str: ...  # fmt: skip


def _cut(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return f"{text[:cap]}\n…[{len(text) - cap} more characters not kept in the transcript]"


def _slots(messages: list[Message]) -> Iterator[tuple[dict[str, Any], str]]:
    """(container, key) of every tool result text and tool input string, oldest first."""
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if block.get("type") == "tool_result":
                if isinstance(block.get("content"), list):
                    texts = [b.get("text", "") for b in block["content"] if isinstance(b, dict)]
                    block["content"] = "\n".join(texts)
                yield block, "content"
            elif block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
                for key, value in block["input"].items():
                    if isinstance(value, str):
                        yield block["input"], key


def bound_messages(
    messages: list[Message], *, block_cap: int, total_cap: int
) -> tuple[list[Message], bool]:
    """A copy that fits ``total_cap`` bytes of JSON, and whether anything was cut."""
    bounded = strip_cache_control(messages)
    cut = False
    slots = list(_slots(bounded))
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
        self._block_cap = block_cap
        self._total_cap = total_cap

    async def ensure_indexes(self) -> None:
        await self._collection.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("session_id", ASCENDING)],
            name="by_session",
        )

    async def load(self, account_id: str, project_id: str, session_id: str) -> Transcript | None:
        document = await self._collection.find_one(
            {"_id": session_id, "account_id": account_id, "project_id": project_id}
        )
        if document is None:
            return None
        return Transcript(json.loads(document["messages_json"]), list(document["interactions"]))

    async def save(self, account_id: str, project_id: str, session_id: str, *,
                   transcript: Transcript, model: str) -> str:  # fmt: skip
        """Replaces the session's transcript; its id is the session id."""
        messages, truncated = bound_messages(
            transcript.messages, block_cap=self._block_cap, total_cap=self._total_cap
        )
        text = json.dumps(messages)
        await self._collection.replace_one(
            {"_id": session_id, "account_id": account_id, "project_id": project_id},
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
        )
        return session_id
