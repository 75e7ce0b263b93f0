"""The model port: one Messages-API call in, one reply out. The loop knows nothing of the SDK,
so unit tests drive it with a fake and the adapter stays small."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class TokenUsage:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    """Every cache write; ``cache_write_1h`` of them with the one-hour lifetime."""
    cache_write_1h: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
            self.cache_write_1h + other.cache_write_1h,
        )

    @property
    def prompt(self) -> int:
        """The whole prompt of a call, however it was billed."""
        return self.input + self.cache_read + self.cache_write


@dataclass(frozen=True)
class ModelReply:
    content: list[dict[str, Any]]
    """Every block as the API returned it (``thinking`` with its signature included), ready to
    be sent back unchanged."""
    stop_reason: str | None
    usage: TokenUsage
    model: str
    stop_details: dict[str, Any] | None = None
    """For a refusal: its category and explanation, when the API gives them."""


@dataclass(frozen=True)
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    max_tokens: int
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = field(default=None)


class ModelFailure(Exception):
    """The API refused or could not be reached after the SDK's own retries.

    ``transient`` failures (rate limits, overload, 5xx, network, a stream that went quiet) are
    worth a later retry of the step; the others (bad request, authentication) are not.
    ``message`` is safe to publish. ``usage`` is what a call that failed part-way had already
    been billed, when the API said so.
    """

    def __init__(self, message: str, *, transient: bool, usage: TokenUsage | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.usage = usage or TokenUsage()


class ModelPort(Protocol):
    async def create(self, request: ModelRequest) -> ModelReply: ...
