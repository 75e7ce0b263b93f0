"""When a conversation outgrows the model's context window: a shorter copy to go on with.

Old tool results and long tool inputs (file contents the model wrote) are replaced by a marker,
oldest first, until the copy is at most half its size. Shortening earlier turns changes what
comes before every later thinking block, which the API refuses, so thinking is stripped from
every turn and the open tool-use cycle is closed with a note: the model then starts a new turn,
thinks afresh, and reads again what it needs.
"""

from __future__ import annotations

import json

from cts_agent_runner.conversation import Message, bulky_slots, continue_with, strip_thinking

REMOVED = "[removed to fit the context window]"
KEEP_INPUT_CHARS = 200
BRIDGE = "(The conversation was compacted here.)"
NOTE = (
    "The conversation was compacted to fit the model's context window: earlier tool results "
    "and file contents were replaced by a marker. Read again whatever you still need, then "
    "continue the task."
)


def compact(messages: list[Message]) -> list[Message] | None:
    """The shorter copy, or ``None`` when there is nothing left to take out."""
    original = len(json.dumps(messages))
    shorter = strip_thinking(messages)
    removed = False
    for container, key in bulky_slots(shorter, min_input_chars=KEEP_INPUT_CHARS + 1):
        if len(json.dumps(shorter)) <= original // 2:
            break
        if container[key] != REMOVED:
            container[key], removed = REMOVED, True
    if not removed:
        return None
    if shorter[-1]["role"] == "assistant":
        return continue_with(shorter, NOTE)
    shorter.append({"role": "assistant", "content": [{"type": "text", "text": BRIDGE}]})
    shorter.append({"role": "user", "content": [{"type": "text", "text": NOTE}]})
    return shorter
