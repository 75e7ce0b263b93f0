"""The model port on the official SDK (``AsyncAnthropic``), every call streamed.

A streamed call has no total timeout, only an idle one (nothing received for
``anthropic_idle_timeout_s``: the API's ``ping`` events keep a slow reply alive), and it logs
its progress while it runs. The SDK retries a call that failed before its reply began at most
``anthropic_max_retries`` (default 1) times; a stream that breaks part-way, an ``error`` event
(``overloaded_error`` after the 200 status) included, is a transient ``ModelFailure`` for the
step to handle. Every message is scrubbed of the API key.
"""

from __future__ import annotations

import contextlib
import re
import time
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
_TRANSIENT_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
CHARS_PER_TOKEN = 4
"""For the progress log only: the exact count arrives with the reply's end."""


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
        if status < 400:  # an error event inside a stream that had answered 200
            transient = exc.type in _TRANSIENT_TYPES
            text = f"Anthropic API error during the reply ({_api_message(exc)})"
        else:
            transient = status in _TRANSIENT_STATUS or status >= 500
            text = f"Anthropic API error {status} ({_api_message(exc)})"
        return ModelFailure(redact(text, key)[:1000], transient=transient)
    if isinstance(exc, anthropic.APIConnectionError):
        kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "unreachable"
        return ModelFailure(f"the Anthropic API is {kind}", transient=True)
    return ModelFailure(redact(f"Anthropic SDK error: {type(exc).__name__}: {exc}", key)[:1000],
                        transient=False)  # fmt: skip


def usage_of(usage: Any) -> TokenUsage:
    split = getattr(usage, "cache_creation", None)
    return TokenUsage(
        input=usage.input_tokens or 0,
        output=usage.output_tokens or 0,
        cache_read=usage.cache_read_input_tokens or 0,
        cache_write=usage.cache_creation_input_tokens or 0,
        cache_write_1h=(split.ephemeral_1h_input_tokens or 0) if split else 0,
    )


class _Progress:
    """Counts what a stream delivered; logs it every ``interval_s``."""

    def __init__(self, model: str, interval_s: float) -> None:
        self.model = model
        self.interval_s = interval_s
        self.chars = 0
        self.blocks = 0
        self.started = self.logged = time.monotonic()

    def saw(self, event: Any) -> None:
        if event.type == "content_block_start":
            self.blocks += 1
        elif event.type == "content_block_delta":
            delta = event.delta
            self.chars += len(
                getattr(delta, "text", None) or getattr(delta, "thinking", None)
                or getattr(delta, "partial_json", None) or ""
            )  # fmt: skip
        now = time.monotonic()
        if now - self.logged >= self.interval_s:
            self.logged = now
            log.info("model reply streaming", model=self.model, blocks=self.blocks,
                     streamed_chars=self.chars, approx_output_tokens=self.chars // CHARS_PER_TOKEN,
                     elapsed_s=round(now - self.started, 1))  # fmt: skip


class AnthropicModel:
    """Owns one ``AsyncAnthropic`` client (its connection pool); close it with ``aclose``."""

    def __init__(
        self, settings: AgentRunnerSettings, *, http_client: httpx2.AsyncClient | None = None
    ) -> None:
        secret = settings.anthropic_api_key
        self._key = secret.get_secret_value() if secret else None
        if self._key is None and settings.anthropic_base_url:
            self._key = PLACEHOLDER_KEY
        self._progress_s = settings.agent_progress_interval_s
        self._idle_s = idle = settings.anthropic_idle_timeout_s
        # The key is always passed explicitly, so the SDK never goes looking for credentials
        # in the environment or in profile files.
        self._client = (
            anthropic.AsyncAnthropic(
                api_key=self._key,
                base_url=settings.anthropic_base_url,
                max_retries=settings.anthropic_max_retries,
                timeout=httpx2.Timeout(idle, connect=settings.anthropic_connect_timeout_s),
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
        options: dict[str, Any] = {}
        if request.thinking is not None:
            options["thinking"] = request.thinking
        if request.output_config is not None:
            options["output_config"] = request.output_config
        progress = _Progress(request.model, self._progress_s)
        stream: Any = None
        try:
            async with self._client.messages.stream(
                model=request.model,
                max_tokens=request.max_tokens,
                system=request.system,  # type: ignore[arg-type]
                tools=request.tools,  # type: ignore[arg-type]
                messages=request.messages,  # type: ignore[arg-type]
                **options,
            ) as stream:
                async for event in stream:
                    progress.saw(event)
                message = await stream.get_final_message()
        except (anthropic.AnthropicError, httpx2.TransportError) as exc:
            failure = (
                failure_from(exc, key=self._key)
                if isinstance(exc, anthropic.AnthropicError)
                else _broken_stream(exc, self._idle_s)
            )
            failure.usage = _billed_so_far(stream)
            log.warning("model call failed", transient=failure.transient, reason=failure.message,
                        streamed_chars=progress.chars)  # fmt: skip
            raise failure from None
        details = message.stop_details
        return ModelReply(
            content=[block.to_dict(mode="json", exclude_none=True) for block in message.content],
            stop_reason=message.stop_reason,
            usage=usage_of(message.usage),
            model=message.model,
            stop_details=details.to_dict(mode="json", exclude_none=True) if details else None,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def _broken_stream(exc: httpx2.TransportError, idle_s: float) -> ModelFailure:
    if isinstance(exc, httpx2.TimeoutException):
        return ModelFailure(f"the Anthropic API sent nothing for {idle_s:g} s", transient=True)
    return ModelFailure(f"the reply stream broke off ({type(exc).__name__})", transient=True)


def _billed_so_far(stream: Any) -> TokenUsage:
    """The prompt of a call that broke part-way was read (``message_start`` says how much);
    its output so far is not reported by the API."""
    snapshot = None
    if stream is not None:
        with contextlib.suppress(AssertionError):
            snapshot = stream.current_message_snapshot
    if snapshot is None:
        return TokenUsage()
    usage = usage_of(snapshot.usage)
    return TokenUsage(usage.input, 0, usage.cache_read, usage.cache_write, usage.cache_write_1h)
