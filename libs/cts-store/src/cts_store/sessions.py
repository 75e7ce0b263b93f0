"""The sessions collection: create-or-get by idempotency key, scoped reads, compare-and-set.

Written for the intersection of MongoDB and FerretDB v1: no transactions, no change streams, no
``arrayFilters``; every update replaces the document under a ``version`` filter, so one writer
wins and a stale writer learns it (``None``) and re-decides from the fresh document.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cts_contracts import SessionStatus
from cts_core import Scope, Session

Document = dict[str, Any]


@dataclass(frozen=True)
class Page:
    sessions: list[Session]
    next_cursor: str | None


def to_document(session: Session) -> Document:
    doc = session.model_dump(mode="python", exclude={"id"})
    doc["_id"] = session.id
    doc["request"] = session.request.model_dump(mode="json")
    doc["outbox_pending"] = bool(session.outbox)
    return doc


def changes(old: Session, new: Session) -> Document:
    """The ``$set`` that turns stored ``old`` into ``new``: only the fields that differ, and
    ``interactions`` as its new or changed elements, so a write costs what changed rather
    than the session's whole history."""
    update: Document = {}
    for name in Session.model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if name in ("id", "version") or before is after:
            continue
        if name == "interactions" and len(after) >= len(before):
            for index, item in enumerate(after):
                if index >= len(before) or (item is not before[index] and item != before[index]):
                    update[f"interactions.{index}"] = item.model_dump(mode="python")
            continue
        if before != after:
            update[name] = _field(new, name)
    if "outbox" in update:
        update["outbox_pending"] = bool(new.outbox)
    return update


def _field(session: Session, name: str) -> Any:
    if name == "request":
        return session.request.model_dump(mode="json")
    return session.model_dump(mode="python", include={name})[name]


def from_document(doc: Document) -> Session:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "outbox_pending")}
    return Session.model_validate({"id": doc["_id"], **fields})


def _scoped(scope: Scope, **query: Any) -> Document:
    return {"account_id": scope.account_id, "project_id": scope.project_id, **query}


class SessionStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._sessions: AsyncCollection[Document] = database["sessions"]

    async def ensure_indexes(self) -> None:
        """Idempotent: creating an index that exists with the same spec is a no-op."""
        await self._sessions.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("request_id", ASCENDING)],
            unique=True,
            name="request_idempotency",
        )
        await self._sessions.create_index(
            [("account_id", ASCENDING), ("project_id", ASCENDING), ("created_at", DESCENDING)],
            name="list_newest_first",
        )
        await self._sessions.create_index([("outbox_pending", ASCENDING)], name="outbox")
        await self._sessions.create_index(
            [("status", ASCENDING), ("current_deadline", ASCENDING)], name="overdue"
        )

    async def create_or_get(self, session: Session) -> tuple[Session, bool]:
        """Insert ``session``; when its request was seen before, return the stored one."""
        try:
            await self._sessions.insert_one(to_document(session))
        except DuplicateKeyError:
            existing = await self._sessions.find_one(
                _scoped(session.scope, request_id=session.request_id)
            )
            if existing is None:  # the _id exists under another scope: never reveal it
                raise
            return from_document(existing), False
        return session, True

    async def get(self, scope: Scope, session_id: str) -> Session | None:
        doc = await self._sessions.find_one(_scoped(scope, _id=session_id))
        return from_document(doc) if doc else None

    async def get_unscoped(self, session_id: str) -> Session | None:
        """For the orchestrator's sweeper only, which serves every tenant."""
        doc = await self._sessions.find_one({"_id": session_id})
        return from_document(doc) if doc else None

    async def list_sessions(
        self,
        scope: Scope,
        *,
        status: SessionStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        query = _scoped(scope)
        if status is not None:
            query["status"] = status.value
        if cursor:
            created_at, session_id = _decode_cursor(cursor)
            query["$or"] = [
                {"created_at": {"$lt": created_at}},
                {"created_at": created_at, "_id": {"$lt": session_id}},
            ]
        limit = max(1, min(limit, 500))
        found = self._sessions.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        docs = await found.limit(limit + 1).to_list()
        sessions = [from_document(d) for d in docs[:limit]]
        more = len(docs) > limit
        return Page(sessions, _encode_cursor(sessions[-1]) if more and sessions else None)

    async def save(self, session: Session, *, expected_version: int) -> Session | None:
        """Compare-and-set: write ``session`` as version ``expected_version + 1`` only if the
        stored version is still ``expected_version``; ``None`` when another writer won."""
        saved = session.model_copy(update={"version": expected_version + 1})
        doc = to_document(saved)
        del doc["_id"]
        result = await self._sessions.find_one_and_replace(
            _scoped(session.scope, _id=session.id, version=expected_version),
            doc,
            return_document=ReturnDocument.AFTER,
        )
        return from_document(result) if result else None

    async def save_changes(self, previous: Session, session: Session) -> Session | None:
        """Compare-and-set like ``save`` (``previous`` must still be the stored version), but
        writing only what differs from ``previous``; returns ``session`` at the new version,
        or ``None`` when another writer won."""
        if (session.id, session.scope) != (previous.id, previous.scope):
            raise ValueError("a session's id and tenant never change")
        saved = session.model_copy(update={"version": previous.version + 1})
        result = await self._sessions.update_one(
            _scoped(previous.scope, _id=previous.id, version=previous.version),
            {"$set": {**changes(previous, session), "version": saved.version}},
        )
        return saved if result.matched_count == 1 else None

    async def pull_published(self, session: Session, item_ids: set[str]) -> None:
        """Take published items out of the stored outbox: ``$pullAll`` by value, which removes
        exactly these items whatever else a concurrent writer changed, so it needs no
        compare-and-set and addresses the session by ``_id`` alone (its tenant was checked
        when it was loaded). Every later transition rewrites the outbox and its timestamp.

        A lone ``_id`` is also the only filter FerretDB v1 answers from its index path; any
        other filter makes it decode every document of the collection.
        """
        items = [i.model_dump(mode="python") for i in session.outbox if i.id in item_ids]
        if not items:
            return
        update: Document = {"$pullAll": {"outbox": items}}
        if session.finished and len(items) == len(session.outbox):
            # A finished session gains no outbox items, so nothing can be pending any more.
            update["$set"] = {"outbox_pending": False, "outbox_since": None}
        await self._sessions.update_one({"_id": session.id}, update)

    async def with_pending_outbox(self, *, older_than: datetime, limit: int = 100) -> list[Session]:
        # The flag narrows by index; an item must still be there (``pull_published`` leaves
        # the flag of an active session to its next transition).
        query = {
            "outbox_pending": True,
            "outbox_since": {"$lte": older_than},
            "outbox.0": {"$exists": True},
        }
        docs = await self._sessions.find(query).limit(limit).to_list()
        return [from_document(d) for d in docs]

    async def overdue(self, *, now: datetime, limit: int = 100) -> list[Session]:
        query = {"status": SessionStatus.ACTIVE.value, "current_deadline": {"$lt": now}}
        docs = await self._sessions.find(query).limit(limit).to_list()
        return [from_document(d) for d in docs]


def _encode_cursor(session: Session) -> str:
    raw = f"{session.created_at.isoformat()}|{session.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, session_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), session_id
    except ValueError as exc:
        raise ValueError("invalid cursor") from exc
