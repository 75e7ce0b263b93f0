"""Plausible token counts for a replayed turn, with prompt caching emulated.

Tokens are estimated as four characters each. A block carrying ``cache_control`` marks the end
of a cacheable prefix (tools, then system, then messages, as the API orders them): the first
request with that prefix pays a cache write, later ones read it. As with the API, a breakpoint
also finds a prefix cached at any of the 20 block boundaries before it, so a conversation that
moves its breakpoint forward each turn reads what the previous turn wrote. No minimum prefix
length and no expiry: an emulation for tests and demos, not a billing model.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from typing import Any

LOOKBACK_BLOCKS = 20
REPLY_OPENING_TOKENS = 3
"""The assistant turn's opening: after every breakpoint, so never cached (as with the API)."""


def estimate_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, math.ceil(len(text) / 4))


def _segments(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """Every block of the prompt in cache order, and whether it ends a cacheable prefix."""
    out: list[tuple[Any, bool]] = []

    def add(block: Any) -> None:
        if isinstance(block, dict):
            marked = bool(block.get("cache_control"))
            out.append(({k: v for k, v in block.items() if k != "cache_control"}, marked))
        else:
            out.append((block, False))

    for tool in body.get("tools") or []:
        add(tool)
    system = body.get("system")
    for block in system if isinstance(system, list) else [system] if system else []:
        add(block)
    for message in body.get("messages", []):
        content = message.get("content")
        out.append((message.get("role"), False))
        for block in content if isinstance(content, list) else [content]:
            add(block)
    return out


class PromptCache:
    """Prefixes seen so far (by hash), shared by every request to one server."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        digest = hashlib.sha256()
        total = 0
        boundaries: list[tuple[str, int]] = []
        marked_at: list[int] = []
        for block, marked in _segments(body):
            digest.update(json.dumps(block, sort_keys=True).encode())
            total += estimate_tokens(block)
            boundaries.append((digest.hexdigest(), total))
            if marked:
                marked_at.append(len(boundaries) - 1)
        with self._lock:
            read = max((self._hit(boundaries, index) for index in marked_at), default=0)
            write = 0
            if marked_at and boundaries[marked_at[-1]][0] not in self._seen:
                write = boundaries[marked_at[-1]][1] - read
            self._seen.update(boundaries[index][0] for index in marked_at)
        return {
            "input_tokens": total - read - write + REPLY_OPENING_TOKENS,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
        }

    def _hit(self, boundaries: list[tuple[str, int]], index: int) -> int:
        """Tokens of the longest cached prefix ending within the lookback of ``index``."""
        for key, tokens in reversed(boundaries[max(0, index - LOOKBACK_BLOCKS) : index + 1]):
            if key in self._seen:
                return tokens
        return 0
