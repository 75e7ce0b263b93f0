"""The sessions collection: create-or-get by idempotency key, scoped reads, compare-and-set.

Written for the intersection of MongoDB and FerretDB v1: no transactions, no change streams, no
``arrayFilters``. Every write is a compare-and-set on ``version`` (``versions.VersionLog``), so
one writer wins and a stale writer learns it (``None``) and re-decides from the fresh document.
Every hot-path query addresses a session by ``_id`` alone and checks the tenant in memory:
FerretDB v1 serves only that filter from an index.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cts_contracts import SessionStatus
from cts_contracts.naming import session_id_for
from cts_core import Scope, Session
from cts_store.versions import VersionLog

Document = dict[str, Any]


@dataclass(frozen=True)
class Page:
    sessions: list[Session]
    next_cursor: str | None


@dataclass(frozen=True)
class Claimed:
    """A version this writer won: ``session`` is what the store holds from now on (readers
    catch up from the claim); ``write()`` brings the session document up to it."""

    session: Session
    _log: VersionLog
    _change: Document

    async def write(self) -> Session:
        await self._log.write(self.session.id, self._change)
        return self.session


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


def _in_scope(doc: Document, scope: Scope) -> bool:
    return (doc.get("account_id"), doc.get("project_id")) == (scope.account_id, scope.project_id)


def _owns_its_id(session: Session) -> bool:
    """A session id is derived from its tenant and idempotency key, so a session whose tenant
    does not derive its id claims someone else's document."""
    return session.id == session_id_for(session.account_id, session.project_id, session.request_id)


class SessionStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._sessions: AsyncCollection[Document] = database["sessions"]
        self._log = VersionLog(database, self._sessions)

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
            existing = await self._sessions.find_one({"_id": session.id})
            if (
                existing is None  # the request index, under another id: never reveal it
                or not _in_scope(existing, session.scope)
                or existing.get("request_id") != session.request_id
            ):
                raise
            return from_document(await self._log.catch_up(existing)), False
        return session, True

    async def get(self, scope: Scope, session_id: str) -> Session | None:
        doc = await self._sessions.find_one({"_id": session_id})
        if doc is None or not _in_scope(doc, scope):
            return None
        return from_document(await self._log.catch_up(doc))

    async def get_unscoped(self, session_id: str) -> Session | None:
        """For the orchestrator's sweeper only, which serves every tenant."""
        doc = await self._sessions.find_one({"_id": session_id})
        return from_document(await self._log.catch_up(doc)) if doc else None

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
        sessions = [from_document(await self._log.catch_up(d)) for d in docs[:limit]]
        more = len(docs) > limit
        return Page(sessions, _encode_cursor(sessions[-1]) if more and sessions else None)

    async def save(self, session: Session, *, expected_version: int) -> Session | None:
        """Compare-and-set: write ``session`` as version ``expected_version + 1`` only if the
        stored version is still ``expected_version``; ``None`` when another writer won."""
        current = await self.get(session.scope, session.id)
        if current is None or current.version != expected_version:
            return None
        whole = {k: v for k, v in to_document(session).items() if k not in ("_id", "version")}
        claimed = await self._claim(current, session, whole)
        return await claimed.write() if claimed else None

    async def save_changes(self, previous: Session, session: Session) -> Session | None:
        """Compare-and-set like ``save`` (``previous`` must still be the stored version), but
        writing only what differs from ``previous``; returns ``session`` at the new version,
        or ``None`` when another writer won."""
        claimed = await self.claim_changes(previous, session)
        return await claimed.write() if claimed else None

    async def claim_changes(self, previous: Session, session: Session) -> Claimed | None:
        """The compare-and-set itself: once it returns, ``session`` is stored (a reader
        catches up from the claim), so publishing may go on while ``write()`` runs."""
        if (session.id, session.scope) != (previous.id, previous.scope):
            raise ValueError("a session's id and tenant never change")
        return await self._claim(previous, session, changes(previous, session))

    async def _claim(self, previous: Session, session: Session, change: Document) -> Claimed | None:
        if not _owns_its_id(previous):
            return None  # another tenant's session id: as unknown as a stale version
        saved = session.model_copy(update={"version": previous.version + 1})
        change = {**change, "version": saved.version}
        if not await self._log.claim(previous.id, saved.version, change):
            return None
        return Claimed(saved, self._log, change)

    async def write_documents(self, sessions: list[Session]) -> None:
        """Bring session documents up to these (claimed) versions: each replaced whole, by
        ``_id`` alone, in one bulk write. Whole, so the write is right whatever version the
        document holds (a reader applies whatever was claimed after it); a replacement, as
        FerretDB rewrites the whole document anyway and a ``$set`` of every field costs it
        more."""
        if sessions:
            replacements = [ReplaceOne({"_id": s.id}, to_document(s)) for s in sessions]
            await self._sessions.bulk_write(replacements, ordered=False)

    async def unsuperseded(self, sessions: list[Session]) -> list[Session]:
        """Those of ``sessions`` whose next version nobody claimed yet: a write-behind of a
        superseded version would put the document back (readers would still be right, but
        queries on the document would see the older session until someone read it)."""
        taken = await asyncio.gather(*(self._log.is_claimed(s.id, s.version + 1) for s in sessions))
        return [s for s, later in zip(sessions, taken, strict=True) if not later]

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

    async def disown_outbox(self, session_id: str) -> None:
        """After a failed publish: the outbox is nobody's, so any replica's recovery sends
        it (by ``_id`` alone: the field only steers recovery, never a decision)."""
        await self._sessions.update_one({"_id": session_id}, {"$set": {"outbox_owner": None}})

    async def with_pending_outbox(
        self,
        *,
        older_than: datetime,
        live_owners: set[str] | frozenset[str] = frozenset(),
        limit: int = 100,
    ) -> list[Session]:
        """Outboxes older than ``older_than`` whose writer is not among ``live_owners``: a live
        writer publishes its own outbox (``Instances``)."""
        # The flag narrows by index; an item must still be there (``pull_published`` leaves
        # the flag of an active session to its next transition).
        query = {
            "outbox_pending": True,
            "outbox_since": {"$lte": older_than},
            "outbox_owner": {"$nin": sorted(live_owners)},
            "outbox.0": {"$exists": True},
        }
        docs = await self._sessions.find(query).limit(limit).to_list()
        sessions = [from_document(await self._log.catch_up(d)) for d in docs]
        # The query read documents that may lag their log: judge the caught-up ones again.
        return [s for s in sessions if _pending(s, older_than, live_owners)]

    async def overdue(self, *, now: datetime, limit: int = 100) -> list[Session]:
        query = {"status": SessionStatus.ACTIVE.value, "current_deadline": {"$lt": now}}
        docs = await self._sessions.find(query).limit(limit).to_list()
        sessions = [from_document(await self._log.catch_up(d)) for d in docs]
        return [
            s
            for s in sessions
            if not s.finished and s.current_deadline is not None and s.current_deadline < now
        ]


def _pending(
    session: Session, older_than: datetime, live_owners: set[str] | frozenset[str]
) -> bool:
    since = session.outbox_since
    return (
        bool(session.outbox)
        and since is not None
        and since <= older_than
        and (session.outbox_owner not in live_owners)
    )


def _encode_cursor(session: Session) -> str:
    raw = f"{session.created_at.isoformat()}|{session.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, session_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), session_id
    except ValueError as exc:
        raise ValueError("invalid cursor") from exc
