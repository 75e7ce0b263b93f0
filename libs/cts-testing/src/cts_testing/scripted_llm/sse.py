"""A reply as the API streams it (server-sent events): ``message_start``, per block
``content_block_start`` / deltas / ``content_block_stop``, ``message_delta`` with the stop reason
and the output tokens, ``message_stop``; or an ``error`` event part-way, as an overloaded API
sends it after the 200 status is out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from cts_testing.scripted_llm.reply import Reply
from cts_testing.scripted_llm.script import Turn

CHUNK = 64
"""Characters per text, thinking or input-JSON delta."""


def event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), CHUNK):
        yield text[start : start + CHUNK]


def _start(index: int, block: dict[str, Any]) -> bytes:
    return event(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def _block_events(index: int, block: dict[str, Any], reply: Reply) -> Iterator[bytes]:
    kind = block["type"]
    if kind == "text":
        yield _start(index, {"type": "text", "text": ""})
        for piece in _chunks(block["text"]):
            yield _delta(index, {"type": "text_delta", "text": piece})
    elif kind == "thinking":
        yield _start(index, {"type": "thinking", "thinking": "", "signature": ""})
        for piece in _chunks(block["thinking"]):
            yield _delta(index, {"type": "thinking_delta", "thinking": piece})
        if block["signature"]:
            yield _delta(index, {"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        yield _start(index, {"type": "tool_use", "id": block["id"], "name": block["name"],
                             "input": {}})  # fmt: skip
        for piece in _chunks(reply.tool_inputs.get(index, json.dumps(block["input"]))):
            yield _delta(index, {"type": "input_json_delta", "partial_json": piece})
    else:  # redacted_thinking arrives whole
        yield _start(index, block)
    yield event("content_block_stop", {"type": "content_block_stop", "index": index})


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return event("content_block_delta", {"type": "content_block_delta", "index": index,
                                         "delta": delta})  # fmt: skip


async def stream(reply: Reply, turn: Turn) -> AsyncIterator[bytes]:
    message = reply.message
    usage = message["usage"]
    opening = {**message, "content": [], "stop_reason": None, "stop_details": None,
               "usage": {**usage, "output_tokens": 1}}  # fmt: skip
    yield event("message_start", {"type": "message_start", "message": opening})
    yield event("ping", {"type": "ping"})
    failure = turn.error if turn.error and turn.error.after_blocks is not None else None
    for index, block in enumerate(message["content"]):
        if failure is not None and index == failure.after_blocks:
            break
        if turn.stall is not None and index == turn.stall.after_blocks:
            await asyncio.sleep(turn.stall.seconds)
        for chunk in _block_events(index, block, reply):
            if turn.event_delay_s:
                await asyncio.sleep(turn.event_delay_s)
            yield chunk
    if failure is not None:
        yield event("error", failure.payload())
        return
    if turn.stall is not None and turn.stall.after_blocks >= len(message["content"]):
        await asyncio.sleep(turn.stall.seconds)
    delta: dict[str, Any] = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    if message.get("stop_details"):
        delta["stop_details"] = message["stop_details"]
    yield event("message_delta", {"type": "message_delta", "delta": delta,
                                  "usage": {"output_tokens": usage["output_tokens"]}})  # fmt: skip
    yield event("message_stop", {"type": "message_stop"})
