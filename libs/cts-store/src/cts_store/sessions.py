"""The sessions collection: create-or-get by idempotency key, scoped reads, and one way to
change a session.

One write path: after its creation a session changes only by a claimed version
(``claim``: the compare-and-set, ``versions.VersionLog``), and its document is only ever
replaced whole by ``write_documents`` (``WriteBehind`` calls it for the orchestrator). Reads
never write: a reader applies the claims the document trails in memory, so what it returns
is the last claimed version; the writer brings the document up.

Written for the intersection of MongoDB and FerretDB v1: no transactions, no change streams,
no ``arrayFilters``. Every hot-path query addresses a session by ``_id`` alone and checks the
tenant in memory: FerretDB v1 hands only that filter to its storage (any other decodes every
document of the collection).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cts_contracts import SessionStatus
from cts_contracts.naming import session_id_for
from cts_core import Scope, Session
from cts_store.collections import SESSIONS
from cts_store.documents import Document, changes, from_document, to_document
from cts_store.grouped_writes import GroupedWrites
from cts_store.paging import Page, page_query
from cts_store.versions import VersionLog


@dataclass(frozen=True)
class Loaded:
    session: Session
    behind: bool
    """The document trails the claims (its writer died, or its write is still pending): the
    orchestrator, the writer, brings it up."""


def _in_scope(doc: Document, scope: Scope) -> bool:
    return (doc.get("account_id"), doc.get("project_id")) == (scope.account_id, scope.project_id)


def _owns_its_id(session: Session) -> bool:
    """A session id is derived from its tenant and idempotency key, so a session whose tenant
    does not derive its id claims someone else's document."""
    return session.id == session_id_for(session.account_id, session.project_id, session.request_id)


class SessionStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._sessions: AsyncCollection[Document] = database[SESSIONS]
        self._inserts = GroupedWrites(self._sessions)  # a burst of requests: one insert_many
        self._log = VersionLog(database)

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
        """Insert ``session`` (its version 0); when its request was seen before, return the
        stored one."""
        if await self._inserts.insert(to_document(session)):
            return session, True
        existing = await self._sessions.find_one({"_id": session.id})
        if (
            existing is None  # the request index, under another id: never reveal it
            or not _in_scope(existing, session.scope)
            or existing.get("request_id") != session.request_id
        ):
            raise DuplicateKeyError(f"session {session.id}: its id or request is taken", 11000)
        return (await self._read(existing)).session, False

    async def get(self, scope: Scope, session_id: str) -> Session | None:
        loaded = await self.load(scope, session_id)
        return loaded.session if loaded else None

    async def load(self, scope: Scope, session_id: str) -> Loaded | None:
        """``get`` for the writer: also says whether the document needs a write."""
        doc = await self._sessions.find_one({"_id": session_id})
        if doc is None or not _in_scope(doc, scope):
            return None
        return await self._read(doc)

    async def list_sessions(
        self,
        scope: Scope,
        *,
        status: SessionStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        query, limit = page_query(scope, status=status, limit=limit, cursor=cursor)
        found = self._sessions.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        docs = await found.limit(limit + 1).to_list()
        return Page.of([await self._session(d) for d in docs[:limit]], more=len(docs) > limit)

    async def claim(self, previous: Session, session: Session) -> Session | None:
        """The compare-and-set: ``session`` becomes version ``previous.version + 1`` only if
        nobody claimed that version first; ``None`` when another writer did (or ``previous``
        is not the tenant's own session). Once it returns, every reader gets the new version;
        the document follows with ``write_documents``."""
        if (session.id, session.scope) != (previous.id, previous.scope):
            raise ValueError("a session's id and tenant never change")
        if not _owns_its_id(previous):
            return None  # another tenant's session id: as unknown as a stale version
        saved = session.model_copy(update={"version": previous.version + 1})
        change = {**changes(previous, session), "version": saved.version}
        if not await self._log.claim(previous.id, saved.version, change):
            return None
        return saved

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
        queries on the document would see the older session until its writer wrote again)."""
        taken = await asyncio.gather(*(self._log.is_claimed(s.id, s.version + 1) for s in sessions))
        return [s for s, later in zip(sessions, taken, strict=True) if not later]

    async def with_pending_outbox(
        self,
        *,
        older_than: datetime,
        live_owners: set[str] | frozenset[str] = frozenset(),
        limit: int = 100,
    ) -> list[Session]:
        """Outboxes older than ``older_than`` whose writer is not among ``live_owners``: a live
        writer publishes its own outbox (``Instances``). Every tenant's: the sweeper's query."""
        query = {
            "outbox_pending": True,
            "outbox_since": {"$lte": older_than},
            "outbox_owner": {"$nin": sorted(live_owners)},
        }
        docs = await self._sessions.find(query).limit(limit).to_list()
        sessions = [await self._session(d) for d in docs]
        # The query read documents that may trail their claims: judge the caught-up ones.
        return [s for s in sessions if _pending(s, older_than, live_owners)]

    async def overdue(self, *, now: datetime, limit: int = 100) -> list[Session]:
        """Active sessions past their step's deadline, every tenant's: the sweeper's query."""
        query = {"status": SessionStatus.ACTIVE.value, "current_deadline": {"$lt": now}}
        docs = await self._sessions.find(query).limit(limit).to_list()
        sessions = [await self._session(d) for d in docs]
        return [
            s
            for s in sessions
            if not s.finished and s.current_deadline is not None and s.current_deadline < now
        ]

    async def finished_before(self, cutoff: datetime, *, limit: int) -> list[Session]:
        """Up to ``limit`` finished sessions whose end is older than ``cutoff``, every
        tenant's: retention's query. Left out: a document that trails its claims (its writer
        brings it up first; its log must outlive it) and a session whose outbox still holds
        its ``SessionFinished`` (recovery sends it first)."""
        query = {"status": {"$ne": SessionStatus.ACTIVE.value}, "finished_at": {"$lt": cutoff}}
        docs = await self._sessions.find(query).limit(limit).to_list()
        loaded = [await self._read(d) for d in docs]
        return [
            found.session
            for found in loaded
            if not found.behind
            and not found.session.outbox
            and found.session.finished
            and found.session.finished_at is not None
            and found.session.finished_at < cutoff
        ]

    async def _read(self, doc: Document) -> Loaded:
        caught_up, applied = await self._log.catch_up(doc)
        return Loaded(from_document(caught_up), behind=applied > 0)

    async def _session(self, doc: Document) -> Session:
        return (await self._read(doc)).session


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
