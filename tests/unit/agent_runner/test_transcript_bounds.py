"""The stored transcript stays under its caps, oldest tool payloads going first."""

from __future__ import annotations

import json
from typing import Any

from cts_agent_runner.conversation import THOUGHT_ONLY
from cts_agent_runner.transcripts import ELIDED, bound_messages


def conversation(file_size: int, rounds: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": "go"}]}]
    for n in range(rounds):
        use = {"type": "tool_use", "id": f"t{n}", "name": "write_file",
               "input": {"path": f"test/support/f{n}.ex", "content": "w" * file_size}}  # fmt: skip
        messages.append({"role": "assistant", "content": [use]})
        result = {"type": "tool_result", "tool_use_id": f"t{n}", "content": "r" * file_size,
                  "cache_control": {"type": "ephemeral"}}  # fmt: skip
        messages.append({"role": "user", "content": [result]})
    return messages


def test_small_conversations_are_kept_whole_without_cache_control() -> None:
    messages = conversation(10, 2)
    bounded, cut = bound_messages(messages, block_cap=100, total_cap=100_000)
    assert not cut
    assert "cache_control" not in json.dumps(bounded)
    assert bounded[1] == messages[1]


def test_each_tool_payload_is_cut_to_the_block_cap() -> None:
    bounded, cut = bound_messages(conversation(5000, 1), block_cap=300, total_cap=100_000)
    assert cut
    written = bounded[1]["content"][0]["input"]["content"]
    assert written.startswith("w" * 300)
    assert written.endswith("[4700 more characters not kept in the transcript]")
    assert bounded[1]["content"][0]["input"]["path"] == "test/support/f0.ex"
    assert bounded[2]["content"][0]["content"].startswith("r" * 300 + "\n…[4700 more")


def test_the_oldest_payloads_are_elided_to_fit_the_total_cap() -> None:
    messages = conversation(1000, 10)
    bounded, cut = bound_messages(messages, block_cap=1000, total_cap=8000)
    assert cut
    assert len(json.dumps(bounded)) <= 8000
    assert bounded[1]["content"][0]["input"]["content"] == ELIDED
    assert bounded[-1]["content"][0]["content"] == "r" * 1000
    assert len(bounded) == len(messages)


def test_prose_is_shortened_when_nothing_else_is_left() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "p" * 50_000}]}]
    bounded, cut = bound_messages(messages, block_cap=1000, total_cap=20_000)
    assert cut
    assert len(json.dumps(bounded)) <= 20_000


def test_thinking_is_stripped_before_anything_is_cut_and_never_shortened() -> None:
    thought = {"type": "thinking", "thinking": "t" * 5000, "signature": "s" * 400}
    redacted = {"type": "redacted_thinking", "data": "d" * 400}
    messages = conversation(10, 1)
    messages[1]["content"][:0] = [thought, redacted]
    messages.append({"role": "assistant", "content": [dict(thought)]})
    bounded, _ = bound_messages(messages, block_cap=300, total_cap=100_000)
    text = json.dumps(bounded)
    assert '"thinking"' not in text
    assert "s" * 400 not in text
    assert [b["type"] for b in bounded[1]["content"]] == ["tool_use"]
    # A reply that was nothing but thinking keeps its place (roles must alternate).
    assert bounded[-1] == {"role": "assistant", "content": [{"type": "text", "text": THOUGHT_ONLY}]}
