"""``DeadLetter``: a message a consumer could not accept, with the reason, so nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cts_contracts.credentials import redact_credentials

MAX_EXCERPT_BYTES = 64 * 1024
DEADLETTER_TYPE: Final = "dev.cts.deadletter.v1"


class DeadLetter(BaseModel):
    """Not a tenant event (the input may not even name a tenant), so it is flat."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["dev.cts.deadletter.v1"] = DEADLETTER_TYPE
    schema_version: Literal[1] = 1
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    consumer: str = Field(description="The service that refused the message")
    reason: str = Field(max_length=4000)
    payload_excerpt: str = Field(
        description="The original bytes, UTF-8 with replacement, capped, with URL user info "
        "and anything token-shaped masked"
    )
    payload_size: int = Field(ge=0)
    truncated: bool
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(
        cls,
        *,
        payload: bytes,
        topic: str,
        reason: str,
        consumer: str,
        partition: int | None = None,
        offset: int | None = None,
        key: bytes | None = None,
    ) -> DeadLetter:
        excerpt = redact_credentials(payload[:MAX_EXCERPT_BYTES].decode("utf-8", errors="replace"))
        return cls(
            topic=topic,
            partition=partition,
            offset=offset,
            key=key.decode("utf-8", errors="replace")[:200] if key else None,
            consumer=consumer,
            reason=redact_credentials(reason)[:4000],
            payload_excerpt=excerpt,
            payload_size=len(payload),
            truncated=len(payload) > MAX_EXCERPT_BYTES,
        )
