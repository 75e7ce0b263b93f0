"""Listing a tenant's sessions newest first, a page at a time, with an opaque cursor."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cts_contracts import SessionStatus
from cts_core import Scope, Session

MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    sessions: list[Session]
    next_cursor: str | None

    @classmethod
    def of(cls, sessions: list[Session], *, more: bool) -> Page:
        return cls(sessions, _encode_cursor(sessions[-1]) if more and sessions else None)


def page_query(
    scope: Scope, *, status: SessionStatus | None, limit: int, cursor: str | None
) -> tuple[dict[str, Any], int]:
    """The filter for one page of ``scope``'s sessions, and the page size it allows."""
    query: dict[str, Any] = {"account_id": scope.account_id, "project_id": scope.project_id}
    if status is not None:
        query["status"] = status.value
    if cursor:
        created_at, session_id = _decode_cursor(cursor)
        query["$or"] = [
            {"created_at": {"$lt": created_at}},
            {"created_at": created_at, "_id": {"$lt": session_id}},
        ]
    return query, max(1, min(limit, MAX_PAGE))


def _encode_cursor(session: Session) -> str:
    raw = f"{session.created_at.isoformat()}|{session.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, session_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), session_id
    except ValueError as exc:
        raise ValueError("invalid cursor") from exc
