"""Cache breakpoints and continuing a stored conversation validly."""

from __future__ import annotations

from typing import Any

from cts_agent_runner.conversation import (
    ENDED_EARLY,
    continue_with,
    strip_cache_control,
    with_cache_breakpoint,
)

ASK: dict[str, Any] = {"role": "user", "content": [{"type": "text", "text": "write tests"}]}
TOOL_USE: dict[str, Any] = {
    "type": "tool_use",
    "id": "t1",
    "name": "read_file",
    "input": {"path": "a"},
}


def test_the_last_block_carries_the_breakpoint_and_the_original_is_untouched() -> None:
    messages: list[dict[str, Any]] = [ASK, {"role": "assistant", "content": [TOOL_USE]},
                {"role": "user", "content": "plain text"}]  # fmt: skip
    marked = with_cache_breakpoint(messages)
    assert marked[-1]["content"] == [
        {"type": "text", "text": "plain text", "cache_control": {"type": "ephemeral"}}
    ]
    assert "cache_control" not in str(marked[:-1])
    assert messages[-1]["content"] == "plain text"
    assert strip_cache_control(marked)[-1]["content"] == [{"type": "text", "text": "plain text"}]


def test_continuing_after_an_ended_turn_adds_a_user_message() -> None:
    messages = [ASK, {"role": "assistant", "content": [{"type": "text", "text": "done"}]}]
    out = continue_with(messages, "fix it")
    assert out[-1] == {"role": "user", "content": [{"type": "text", "text": "fix it"}]}
    assert len(messages) == 2


def test_continuing_after_an_unanswered_tool_use_answers_it_first() -> None:
    out = continue_with([ASK, {"role": "assistant", "content": [TOOL_USE]}], "fix it")
    assert out[-1]["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": ENDED_EARLY, "is_error": True},
        {"type": "text", "text": "fix it"},
    ]


def test_continuing_after_a_user_message_extends_it() -> None:
    results = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                            "content": "x"}]}  # fmt: skip
    out = continue_with([ASK, {"role": "assistant", "content": [TOOL_USE]}, results], "fix it")
    assert len(out) == 3
    assert [b["type"] for b in out[-1]["content"]] == ["tool_result", "text"]
    assert continue_with([], "start") == [
        {"role": "user", "content": [{"type": "text", "text": "start"}]}
    ]
