"""A scripted turn made into the message the API would send: ids for tool calls, signatures for
thinking, plausible usage, and, for a reply cut short, the last block as far as it got."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import jiter

from cts_testing.scripted_llm.request_checks import THINKING_TYPES
from cts_testing.scripted_llm.script import Turn
from cts_testing.scripted_llm.thinking import Prefix, request_prefix, sign
from cts_testing.scripted_llm.usage import PromptCache, estimate_tokens


@dataclass(frozen=True)
class Reply:
    message: dict[str, Any]
    """The whole message, as a non-streamed request gets it."""
    tool_inputs: dict[int, str]
    """Per tool_use block index, its input JSON as streamed (cut short for a cut block)."""
    cut: bool


def _stop_reason(turn: Turn, content: list[dict[str, Any]]) -> str:
    if turn.stop_reason:
        return turn.stop_reason
    return "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"


def _cut_block(block: dict[str, Any], at: int) -> tuple[dict[str, Any], str | None]:
    """The block as far as ``at`` characters of its text (or input JSON) got."""
    if block["type"] == "text":
        return {**block, "text": block["text"][:at]}, None
    if block["type"] == "thinking":
        # The signature arrives at the end of a thinking block: a cut one has none.
        return {**block, "thinking": block["thinking"][:at], "signature": ""}, None
    if block["type"] == "tool_use":
        partial = json.dumps(block["input"])[:at]
        parsed = jiter.from_json(partial.encode(), partial_mode="trailing-strings") if partial \
            else {}  # fmt: skip
        return {**block, "input": parsed if isinstance(parsed, dict) else {}}, partial
    return block, None


class ReplyBuilder:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._cache = PromptCache()

    def build(self, body: dict[str, Any], turn: Turn) -> Reply:
        prefix = request_prefix(body)
        content: list[dict[str, Any]] = []
        tool_inputs: dict[int, str] = {}
        for index, scripted in enumerate(turn.content or []):
            block = self._block(scripted, prefix)
            if block["type"] == "tool_use":
                tool_inputs[index] = json.dumps(block["input"])
            content.append(block)
            prefix.add_block("assistant", block)
        cut = turn.cut_at is not None and bool(content)
        if cut:
            assert turn.cut_at is not None
            content[-1], partial = _cut_block(content[-1], turn.cut_at)
            if partial is not None:
                tool_inputs[len(content) - 1] = partial
        usage: dict[str, Any] = {
            **self._cache.usage(body),
            "output_tokens": estimate_tokens(content),
        }
        usage.update(turn.usage or {})
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": usage.get("cache_creation_input_tokens", 0),
            "ephemeral_1h_input_tokens": 0,
        }
        message = {
            "id": f"msg_scripted_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": _stop_reason(turn, content),
            "stop_sequence": None,
            "stop_details": turn.stop_details,
            "usage": usage,
        }
        return Reply(message, tool_inputs, cut)

    def _block(self, scripted: dict[str, Any], prefix: Prefix) -> dict[str, Any]:
        if scripted["type"] == "tool_use":
            return {
                "type": "tool_use",
                "id": scripted.get("id") or f"toolu_scripted_{next(self._ids):06d}",
                "name": scripted["name"],
                "input": scripted.get("input", {}),
            }
        if scripted["type"] in THINKING_TYPES:
            return sign(scripted, prefix)
        return dict(scripted)
