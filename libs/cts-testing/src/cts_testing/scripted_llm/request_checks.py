"""What the real Messages API would refuse, refused here too, so a replay cannot hide a client
bug (a tool_use left unanswered, roles out of order, too many cache breakpoints)."""

from __future__ import annotations

from typing import Any

MAX_CACHE_BREAKPOINTS = 4
THINKING_TYPES = ("thinking", "redacted_thinking")


class InvalidRequest(ValueError):
    """Answered as a 400 ``invalid_request_error``."""


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(block, dict) for block in content):
        return content
    raise InvalidRequest("message content must be a string or a list of content blocks")


def user_texts(body: dict[str, Any]) -> list[str]:
    """The text of each user message that has text (tool-result-only messages are skipped)."""
    texts = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        parts = [b.get("text", "") for b in _blocks(message["content"]) if b.get("type") == "text"]
        if parts:
            texts.append("\n".join(parts))
    return texts


def count_cache_breakpoints(body: dict[str, Any]) -> int:
    blocks: list[Any] = list(body.get("tools") or [])
    system = body.get("system")
    if isinstance(system, list):
        blocks += system
    for message in body.get("messages", []):
        if isinstance(message.get("content"), list):
            blocks += message["content"]
    return sum(1 for block in blocks if isinstance(block, dict) and block.get("cache_control"))


def _check_pairing(messages: list[dict[str, Any]]) -> None:
    pending: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        expected = "user" if index % 2 == 0 else "assistant"
        if role != expected:
            raise InvalidRequest(f"messages.{index}: expected role {expected!r}, got {role!r}")
        blocks = _blocks(message.get("content"))
        if not blocks:
            raise InvalidRequest(f"messages.{index}: content must not be empty")
        kinds = [block.get("type") for block in blocks]
        for number, block in enumerate(blocks):
            if block.get("cache_control") and block.get("type") in THINKING_TYPES:
                raise InvalidRequest(
                    f"messages.{index}.content.{number}: thinking blocks cannot carry "
                    "cache_control (they are cached as part of the prefix)"
                )
        if role == "assistant":
            if "tool_result" in kinds:
                raise InvalidRequest(f"messages.{index}: tool_result only in user messages")
            pending = {b["id"] for b in blocks if b.get("type") == "tool_use"}
            continue
        if "tool_use" in kinds:
            raise InvalidRequest(f"messages.{index}: tool_use only in assistant messages")
        answered = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if answered - pending:
            raise InvalidRequest(f"messages.{index}: tool_result for an unknown tool_use id")
        if pending - answered:
            raise InvalidRequest(
                f"messages.{index}: tool_use ids without a tool_result: {sorted(pending)}"
            )
        results_first = kinds[: len(answered)]
        if answered and any(kind != "tool_result" for kind in results_first):
            raise InvalidRequest(f"messages.{index}: tool_result blocks must come first")
        pending = set()


def _check_thinking(thinking: Any, max_tokens: int) -> None:
    if thinking is None:
        return
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in ("enabled", "adaptive", "disabled", "between_tools"):
        raise InvalidRequest("thinking.type: 'enabled', 'adaptive', 'disabled' or 'between_tools'")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            raise InvalidRequest("thinking.enabled.budget_tokens: Input should be >= 1024")
        if budget >= max_tokens:
            raise InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`")


def check_request(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise InvalidRequest("stream: a boolean is required")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise InvalidRequest("model: a model name is required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise InvalidRequest("max_tokens: a positive integer is required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: at least one message is required")
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or "name" not in tool or "input_schema" not in tool:
            raise InvalidRequest("tools: each tool needs a name and an input_schema")
    _check_thinking(body.get("thinking"), max_tokens)
    _check_pairing(messages)
    if count_cache_breakpoints(body) > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(f"at most {MAX_CACHE_BREAKPOINTS} blocks may carry cache_control")
    return body
