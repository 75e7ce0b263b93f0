"""Transcripts on the real store: round trip, size cap, model-chosen keys, tenant isolation."""

from __future__ import annotations

import json
from typing import Any

from cts_agent_runner.transcripts import Checkpoint, MongoTranscripts, Transcript

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


async def test_a_checkpoint_keeps_the_step_verbatim_beside_the_finished_transcript(
    mongo_db: Any,
) -> None:
    store = MongoTranscripts(mongo_db, block_cap=1000, total_cap=64 * 1024)
    thought = {"type": "thinking", "thinking": "x" * 3000, "signature": "sig"}
    running: list[dict[str, Any]] = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [thought, TOOL_USE]},
    ]
    old = Transcript([{"role": "user", "content": "old"}], ["i-0"])
    await store.save("acme", "shop", "s-2", model="m", transcript=old)
    checkpoint = Checkpoint(step="fix_compilation_errors", fix_attempt=1, interaction_id="i-1",
                            messages=running, written=["test/x_test.exs"], turns=3)  # fmt: skip
    await store.save_checkpoint("acme", "shop", "s-2", checkpoint)
    loaded = await store.load("acme", "shop", "s-2")
    assert loaded is not None
    assert loaded.checkpoint == checkpoint, "verbatim: thinking and long inputs untouched"
    assert (loaded.messages, loaded.interactions) == ([{"role": "user", "content": "old"}],
                                                      ["i-0"])  # fmt: skip
    assert loaded.checkpoint.continues("fix_compilation_errors", 1)
    assert not loaded.checkpoint.continues("fix_compilation_errors", 2)
    await store.save("acme", "shop", "s-2", model="m", transcript=Transcript(running, ["i-1"]))
    finished = await store.load("acme", "shop", "s-2")
    assert finished is not None
    assert finished.checkpoint is None
    assert "thinking" not in json.dumps(finished.messages)
    await store.save_checkpoint("other", "shop", "s-9", checkpoint)
    assert await store.load("acme", "shop", "s-9") is None
