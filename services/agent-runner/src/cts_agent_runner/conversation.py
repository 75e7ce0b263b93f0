"""Shaping the message list: the cache breakpoint on the growing prefix, and continuing a
stored conversation with a new instruction so that it stays valid for the API."""

from __future__ import annotations

import copy
from typing import Any

Message = dict[str, Any]
EPHEMERAL = {"type": "ephemeral"}

ENDED_EARLY = "not run: the previous step ended before this tool call was answered"


def blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content)


def with_cache_breakpoint(messages: list[Message]) -> list[Message]:
    """A copy whose last block carries ``cache_control``: each call then reads the prefix the
    previous call wrote, so a long tool-use loop pays full price only for its newest turn."""
    marked = copy.deepcopy(messages)
    if marked:
        last = marked[-1]
        last["content"] = blocks(last["content"])
        if last["content"]:
            last["content"][-1]["cache_control"] = dict(EPHEMERAL)
    return marked


def strip_cache_control(messages: list[Message]) -> list[Message]:
    clean = copy.deepcopy(messages)
    for message in clean:
        if isinstance(message.get("content"), list):
            for block in message["content"]:
                block.pop("cache_control", None)
    return clean


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
