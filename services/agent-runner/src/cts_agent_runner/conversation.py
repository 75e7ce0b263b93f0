"""Shaping the message list: the cache breakpoint on the growing prefix, thinking stripped where
a turn has ended, and continuing a stored conversation with a new instruction so that it stays
valid for the API.

Within a step's tool loop every block the API returned goes back exactly as received: thinking
blocks are signed and sealed to everything before them, so the loop only ever appends. Only
where the step's conversation has ended (it is stored, or continued by the next step) is
thinking stripped, as the API allows for completed turns, and only after that may the stored
copy be shortened.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

Message = dict[str, Any]
EPHEMERAL = {"type": "ephemeral"}
THINKING = frozenset({"thinking", "redacted_thinking"})

ENDED_EARLY = "not run: the previous step ended before this tool call was answered"
THOUGHT_ONLY = "(this reply held only thinking, which is not kept)"


def blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content)


def with_cache_breakpoint(messages: list[Message]) -> list[Message]:
    """A copy whose newest cacheable block carries ``cache_control``: each call then reads the
    prefix the previous call wrote, so a long tool-use loop pays full price only for its newest
    turn. Thinking blocks cannot carry a breakpoint (they are cached as part of the prefix)."""
    marked = copy.deepcopy(messages)
    for message in reversed(marked):
        message["content"] = blocks(message["content"])
        for block in reversed(message["content"]):
            if block.get("type") not in THINKING:
                block["cache_control"] = dict(EPHEMERAL)
                return marked
    return marked


def strip_cache_control(messages: list[Message]) -> list[Message]:
    clean = copy.deepcopy(messages)
    for message in clean:
        if isinstance(message.get("content"), list):
            for block in message["content"]:
                block.pop("cache_control", None)
    return clean


def strip_thinking(messages: list[Message]) -> list[Message]:
    """A copy without thinking blocks, for a conversation whose turns have all ended."""
    out = copy.deepcopy(messages)
    for message in out:
        if message["role"] != "assistant":
            continue
        kept = [b for b in blocks(message["content"]) if b.get("type") not in THINKING]
        message["content"] = kept or [{"type": "text", "text": THOUGHT_ONLY}]
    return out


def bulky_slots(
    messages: list[Message], *, min_input_chars: int = 0
) -> Iterator[tuple[dict[str, Any], str]]:
    """(container, key) of every tool result and every tool input string of at least
    ``min_input_chars``, oldest first: the places that can be shortened. A tool result's list of
    text blocks is joined into one string first, so each result is one place."""
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
                    if isinstance(value, str) and len(value) >= min_input_chars:
                        yield block["input"], key


def continue_with(messages: list[Message], text: str) -> list[Message]:
    """``messages`` plus a user instruction, keeping roles alternating and every ``tool_use``
    answered (a stored run may have stopped right after the model asked for a tool)."""
    out = copy.deepcopy(messages)
    note = {"type": "text", "text": text}
    if not out:
        return [{"role": "user", "content": [note]}]
    last = out[-1]
    if last["role"] == "user":
        last["content"] = [*blocks(last["content"]), note]
        return out
    unanswered = [b["id"] for b in blocks(last["content"]) if b.get("type") == "tool_use"]
    results: list[dict[str, Any]] = [
        {"type": "tool_result", "tool_use_id": tool_id, "content": ENDED_EARLY, "is_error": True}
        for tool_id in unanswered
    ]
    out.append({"role": "user", "content": [*results, note]})
    return out
