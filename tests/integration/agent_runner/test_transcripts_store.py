"""Transcripts on the real store: round trip, size cap, model-chosen keys, tenant isolation."""

from __future__ import annotations

import json
from typing import Any

from cts_agent_runner.transcripts import MongoTranscripts, Transcript

WRITTEN = {"path": "test/support/x.ex", "content": "x" * 5000, "$odd.key": "y"}
TOOL_USE = {"type": "tool_use", "id": "t1", "name": "write_file", "input": WRITTEN}


async def test_a_transcript_round_trips_bounded_and_scoped(mongo_db: Any) -> None:
    store = MongoTranscripts(mongo_db, block_cap=1000, total_cap=64 * 1024)
    await store.ensure_indexes()
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "go"}]},
        {"role": "assistant", "content": [TOOL_USE]},
    ]
    saved_id = await store.save("acme", "shop", "s-1", model="m",
                                transcript=Transcript(messages, ["i-1"]))  # fmt: skip
    assert saved_id == "s-1"
    loaded = await store.load("acme", "shop", "s-1")
    assert loaded is not None
    assert loaded.interactions == ["i-1"]
    assert loaded.messages[0] == messages[0]
    written = loaded.messages[1]["content"][0]["input"]
    assert written["$odd.key"] == "y"
    assert written["content"].startswith("x" * 1000 + "\n…[4000 more characters")
    document = await mongo_db["agent_transcripts"].find_one({"_id": "s-1"})
    assert document["truncated"] is True
    assert document["size"] == len(document["messages_json"])
    assert json.loads(document["messages_json"]) == loaded.messages
    assert await store.load("other", "shop", "s-1") is None
