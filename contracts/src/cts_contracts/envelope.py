"""CloudEvents 1.0 structured-mode envelope shared by every CTS event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cts_contracts.fields import Identifier


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class Contract(BaseModel):
    """Strict base: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Scoped(Contract):
    """Every payload names its tenant; every store query is scoped by it."""

    schema_version: Literal[1] = 1
    account_id: Identifier
    project_id: Identifier


class CloudEvent(Contract):
    """The CloudEvents attributes; subclasses pin ``type`` and give ``data`` its model."""

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=_new_id, min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=200, description="URI-reference of the producer")
    time: datetime = Field(default_factory=_now)
    subject: str | None = Field(default=None, max_length=100, description="The session id")
    datacontenttype: Literal["application/json"] = "application/json"
