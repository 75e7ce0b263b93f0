"""Turn raw Kafka bytes into a contract model, or a reason a person can read."""

from __future__ import annotations

from typing import TypeVar

from faststream.message import StreamMessage
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

MAX_REASON = 2000
TOO_DEEP = "JSON nested too deeply (the decoder's limit is about 200 levels)"
"""Deep nesting may be valid JSON: the reason says what is wrong with it instead."""


class BadMessage(Exception):
    """The message can never be processed: it goes to the dead-letter topic, not back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe_validation_error(error: ValidationError) -> str:
    """Field paths and messages only: input values may be huge or hold secrets."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:10]:
        where = ".".join(str(p) for p in item["loc"]) or "<root>"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)[:MAX_REASON]


def decode(model: type[M], body: bytes) -> M:
    if not body:
        raise BadMessage("empty message")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        invalid = [e for e in exc.errors() if e["type"] == "json_invalid"]
        if invalid:
            error = str(invalid[0].get("ctx", {}).get("error", ""))
            raise BadMessage(TOO_DEEP if "recursion limit" in error else "not valid JSON") from None
        raise BadMessage(
            f"schema-invalid {model.__name__}: {describe_validation_error(exc)}"
        ) from None


async def raw_body(message: StreamMessage[object]) -> bytes:
    """A FastStream decoder that hands handlers the untouched bytes, so decoding errors are ours."""
    return message.body
