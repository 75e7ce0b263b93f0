"""The model port: one Messages-API call in, one reply out. The loop knows nothing of the SDK,
so unit tests drive it with a fake and the adapter stays small."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TokenUsage:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write


@dataclass(frozen=True)
class ModelReply:
    content: list[dict[str, Any]]
    """``text`` and ``tool_use`` blocks as request parameters (ready to send back)."""
    stop_reason: str | None
    usage: TokenUsage
    model: str


@dataclass(frozen=True)
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    max_tokens: int


class ModelFailure(Exception):
    """The API refused or could not be reached after the SDK's own retries.

    ``transient`` failures (rate limits, overload, 5xx, network) are worth a later retry of the
    step; the others (bad request, authentication) are not. ``message`` is safe to publish.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class ModelPort(Protocol):
    async def create(self, request: ModelRequest) -> ModelReply: ...
