"""The model port on the official SDK (``AsyncAnthropic``).

Retries are the SDK's: it retries 408, 409, 429, 5xx (529 overloaded included) and connection
errors with exponential backoff and honours ``retry-after``. What is still failing after
``max_retries`` is mapped here to a ``ModelFailure``; every message is scrubbed of the API key.
"""

from __future__ import annotations

import re
from typing import Any

import anthropic
import httpx2

from cts_agent_runner.model import ModelFailure, ModelReply, ModelRequest, TokenUsage
from cts_agent_runner.settings import AgentRunnerSettings
from cts_runtime.logs import get_logger

log = get_logger(__name__)

PLACEHOLDER_KEY = "cts-scripted-placeholder"
"""Sent to a configured base URL when no key is set: the scripted server accepts any key."""
_KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
_TRANSIENT_STATUS = frozenset({408, 409, 429})


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _KEY_SHAPE.sub("[redacted]", text)


def _api_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{error.get('type', 'error')}: {error.get('message', '')}"
    return str(exc.message)


def failure_from(exc: anthropic.AnthropicError, *, key: str | None) -> ModelFailure:
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        transient = status in _TRANSIENT_STATUS or status >= 500
        text = f"Anthropic API error {status} ({_api_message(exc)})"
        return ModelFailure(redact(text, key)[:1000], transient=transient)
    if isinstance(exc, anthropic.APIConnectionError):
        kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "unreachable"
        return ModelFailure(f"the Anthropic API is {kind}", transient=True)
    return ModelFailure(redact(f"Anthropic SDK error: {type(exc).__name__}: {exc}", key)[:1000],
                        transient=False)  # fmt: skip


def _as_param(block: Any) -> dict[str, Any] | None:
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return None


class AnthropicModel:
    """Owns one ``AsyncAnthropic`` client (its connection pool); close it with ``aclose``."""

    def __init__(
        self, settings: AgentRunnerSettings, *, http_client: httpx2.AsyncClient | None = None
    ) -> None:
        secret = settings.anthropic_api_key
        self._key = secret.get_secret_value() if secret else None
        if self._key is None and settings.anthropic_base_url:
            self._key = PLACEHOLDER_KEY
        # The key is always passed explicitly, so the SDK never goes looking for credentials
        # in the environment or in profile files.
        self._client = (
            anthropic.AsyncAnthropic(
                api_key=self._key,
                base_url=settings.anthropic_base_url,
                max_retries=settings.anthropic_max_retries,
                timeout=settings.anthropic_timeout_s,
                http_client=http_client,
            )
            if self._key
            else None
        )

    async def create(self, request: ModelRequest) -> ModelReply:
        if self._client is None:
            raise ModelFailure(
                "no Anthropic API key: set ANTHROPIC_API_KEY (or CTS_ANTHROPIC_BASE_URL for the "
                "scripted server)",
                transient=False,
            )
        try:
            message = await self._client.messages.create(
                model=request.model,
                max_tokens=request.max_tokens,
                system=request.system,  # type: ignore[arg-type]
                tools=request.tools,  # type: ignore[arg-type]
                messages=request.messages,  # type: ignore[arg-type]
            )
        except anthropic.AnthropicError as exc:
            failure = failure_from(exc, key=self._key)
            log.warning("model call failed", transient=failure.transient, reason=failure.message)
            raise failure from None
        usage = message.usage
        content = [param for block in message.content if (param := _as_param(block))]
        return ModelReply(
            content=content,
            stop_reason=message.stop_reason,
            usage=TokenUsage(
                input=usage.input_tokens,
                output=usage.output_tokens,
                cache_read=usage.cache_read_input_tokens or 0,
                cache_write=usage.cache_creation_input_tokens or 0,
            ),
            model=message.model,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
