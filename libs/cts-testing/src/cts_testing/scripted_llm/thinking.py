"""Signed thinking blocks, and the API's rules for sending them back.

A scripted ``thinking`` block gets a signature, a ``redacted_thinking`` block opaque ``data``;
both seal the block's text and a digest of everything the request held before it (system,
tools, the earlier messages and the earlier blocks of the reply: its *prefix*). A request that
sends a block back is checked as the real API checks it:

- the block is unchanged (its seal still matches its text): otherwise 400, in the latest
  assistant message "cannot be modified", elsewhere "Invalid `signature`";
- nothing before it changed (the seal's prefix digest is the request's): otherwise 400 (the
  API's preserved-thinking prefix check; the wording here is ours);
- while a tool-use cycle is open (the request ends with the results of the latest assistant
  message's tool calls), that message still holds every thinking block of the reply that asked
  for those tools: otherwise the API's "Expected `thinking` ..." 400.

``cache_control`` markers are not content and are left out of every digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

from cts_testing.scripted_llm.request_checks import THINKING_TYPES, InvalidRequest

_KEY = b"cts-scripted-thinking"
MUST_START = (
    "messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
    "`{found}`. When `thinking` is enabled, a final `assistant` message must start with a "
    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
    "recommend you include thinking blocks from previous turns. To avoid this requirement, "
    "disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
MODIFIED = (
    "messages.{index}.content.{block}: `thinking` or `redacted_thinking` blocks in the latest "
    "assistant message cannot be modified. These blocks must remain as they were in the "
    "original response."
)
INVALID = "messages.{index}.content.{block}: Invalid `signature` in `thinking` block"
PREFIX_CHANGED = (
    "messages.{index}.content.{block}: this `{kind}` block cannot be used: the system prompt, "
    "tools or messages before it differ from the request that produced it"
)


def _canonical(value: Any) -> bytes:
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "cache_control"}
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _blocks(content: Any) -> list[Any]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _prefix_items(body: dict[str, Any]) -> Iterator[bytes]:
    system = body.get("system")
    yield b"system:" + _canonical(
        [system] if isinstance(system, str) else [_canonical_item(b) for b in system or []]
    )
    yield b"tools:" + _canonical([_canonical_item(t) for t in body.get("tools") or []])
    for message in body.get("messages", []):
        for block in _blocks(message.get("content", [])):
            yield message.get("role", "?").encode() + b":" + _canonical(block)


def _canonical_item(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "cache_control"} if isinstance(value, dict) \
        else value  # fmt: skip


class Prefix:
    """A running digest over the prefix items; ``copy`` forks it at a block boundary."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, item: bytes) -> None:
        self._hash.update(hashlib.sha256(item).digest())

    def add_block(self, role: str, block: Any) -> None:
        self.add(role.encode() + b":" + _canonical(block))

    def digest(self) -> str:
        return self._hash.copy().hexdigest()[:32]


def request_prefix(body: dict[str, Any]) -> Prefix:
    prefix = Prefix()
    for item in _prefix_items(body):
        prefix.add(item)
    return prefix


def _seal(kind: str, text: str, prefix: str) -> str:
    mac = hmac.new(_KEY, f"{kind}\x00{prefix}\x00{text}".encode(), hashlib.sha256).hexdigest()
    token = json.dumps({"p": prefix, "m": mac[:40]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(token).decode()


def _open(seal: str) -> tuple[str, str] | None:
    try:
        token = json.loads(base64.urlsafe_b64decode(seal.encode()))
        return str(token["p"]), str(token["m"])
    except (ValueError, TypeError, KeyError):
        return None


def sign(block: dict[str, Any], prefix: Prefix) -> dict[str, Any]:
    """The block as the API returns it: a ``thinking`` block with its signature, or a
    ``redacted_thinking`` block whose ``data`` seals the scripted text."""
    if block["type"] == "thinking":
        text = str(block.get("thinking", ""))
        return {"type": "thinking", "thinking": text,
                "signature": _seal("thinking", text, prefix.digest())}  # fmt: skip
    text = str(block.get("data") or block.get("thinking") or "redacted")
    return {"type": "redacted_thinking", "data": _seal("redacted_thinking", text, prefix.digest())
            + "." + base64.urlsafe_b64encode(text.encode()).decode()}  # fmt: skip


def _verify(block: dict[str, Any]) -> tuple[bool, str | None]:
    """(seal intact, the prefix digest it was made with)."""
    if block.get("type") == "thinking":
        opened = _open(str(block.get("signature", "")))
        kind, text = "thinking", str(block.get("thinking", ""))
    else:
        seal, _, encoded = str(block.get("data", "")).partition(".")
        opened = _open(seal)
        kind = "redacted_thinking"
        try:
            text = base64.urlsafe_b64decode(encoded.encode()).decode()
        except ValueError:
            return False, None
        block = {**block, "data": seal}
    if opened is None:
        return False, None
    prefix, _ = opened
    expected = _seal(kind, text, prefix)
    sealed = block["signature"] if kind == "thinking" else block["data"]
    return hmac.compare_digest(expected, sealed), prefix


class ThinkingLedger:
    """Which thinking blocks each reply carried, by the ids of the tools it asked for."""

    def __init__(self) -> None:
        self._by_tool_use: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def record(self, content: list[dict[str, Any]]) -> None:
        thinking = [b for b in content if b.get("type") in THINKING_TYPES]
        with self._lock:
            for block in content:
                if block.get("type") == "tool_use" and thinking:
                    self._by_tool_use[block["id"]] = thinking

    def expected_for(self, tool_use_ids: list[str]) -> list[dict[str, Any]] | None:
        with self._lock:
            for tool_id in tool_use_ids:
                if tool_id in self._by_tool_use:
                    return self._by_tool_use[tool_id]
        return None

    def check(self, body: dict[str, Any]) -> None:
        messages = body.get("messages", [])
        latest = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"),
                     default=None)  # fmt: skip
        prefix = Prefix()
        for item in list(_prefix_items({**body, "messages": []})):
            prefix.add(item)
        for index, message in enumerate(messages):
            role = str(message.get("role"))
            for number, block in enumerate(_blocks(message.get("content", []))):
                if isinstance(block, dict) and block.get("type") in THINKING_TYPES:
                    self._check_block(block, index, number, prefix.digest(), latest == index)
                prefix.add_block(role, block)
        if latest is not None:
            self._check_open_cycle(messages, latest)

    @staticmethod
    def _check_block(
        block: dict[str, Any], index: int, number: int, prefix: str, is_latest: bool
    ) -> None:
        intact, made_with = _verify(block)
        if not intact:
            template = MODIFIED if is_latest else INVALID
            raise InvalidRequest(template.format(index=index, block=number))
        if made_with != prefix:
            raise InvalidRequest(
                PREFIX_CHANGED.format(index=index, block=number, kind=block["type"])
            )

    def _check_open_cycle(self, messages: list[dict[str, Any]], latest: int) -> None:
        content = _blocks(messages[latest].get("content", []))
        uses = [b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        answered = latest + 1 < len(messages) and any(
            isinstance(b, dict) and b.get("type") == "tool_result"
            for b in _blocks(messages[latest + 1].get("content", []))
        )
        expected = self.expected_for(uses) if uses and answered else None
        if not expected:
            return
        sent = [b for b in content if isinstance(b, dict) and b.get("type") in THINKING_TYPES]
        if not sent:
            found = content[0].get("type") if content and isinstance(content[0], dict) else "?"
            raise InvalidRequest(MUST_START.format(index=latest, found=found))
        if [_canonical(b) for b in sent] != [_canonical(b) for b in expected]:
            raise InvalidRequest(MODIFIED.format(index=latest, block=0))
