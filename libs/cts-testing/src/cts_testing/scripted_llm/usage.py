"""Plausible token counts for a replayed turn, with prompt caching emulated.

Tokens are estimated as four characters each. A block carrying ``cache_control`` marks the end
of a cacheable prefix (tools, then system, then messages, as the API orders them): the first
request with that prefix pays a cache write, later ones read it. No minimum prefix length and
no expiry: this is an emulation for tests and demos, not a billing model.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from typing import Any

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
        breakpoints: list[tuple[str, int]] = []
        for block, marked in _segments(body):
            digest.update(json.dumps(block, sort_keys=True).encode())
            total += estimate_tokens(block)
            if marked:
                breakpoints.append((digest.hexdigest(), total))
        with self._lock:
            read = max((tokens for key, tokens in breakpoints if key in self._seen), default=0)
            write = 0
            if breakpoints and breakpoints[-1][0] not in self._seen:
                write = breakpoints[-1][1] - read
            self._seen.update(key for key, _ in breakpoints)
        return {
            "input_tokens": total - read - write + REPLY_OPENING_TOKENS,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
        }
