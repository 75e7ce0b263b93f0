"""The outbox relay: what a claimed decision sends, who sends an outbox again, and when an
outbox is emptied.

The outbox names the process that wrote it (``outbox_owner``). A published command stays
in the outbox until the claim that records its answer removes it: while this process lives
(it beats in ``Instances``) recovery leaves its outboxes alone, so no step costs a second
claim to mark its command published. Everything else that empties an outbox is a claimed
version of its own: a finished session's (it gets no answer), an outbox re-sent for a writer
that is gone, the outboxes handed over at a clean shutdown.

The claim is the record; the session document follows it through ``Documents``, except at a
session's end: the end is written before ``SessionFinished`` is published (whoever hears it
may read the document), and the emptied outbox right after."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from cachetools import LRUCache

from cts_core import Session, mark_published
from cts_orchestrator.ports import Clock, Documents, Liveness, Publisher, SessionRepository
from cts_runtime.logs import get_logger
from cts_store import RecentSessions

log = get_logger(__name__)

PUBLISHED_MEMORY = 4096
"""Event ids this process published lately: a redelivered message re-sends only the rest."""


@dataclass
class OutboxRelay:
    """``liveness`` absent: every other writer counts as alive, so only the sweeper (or this
    process's own failed publishes) re-send an outbox."""

    repository: SessionRepository
    documents: Documents
    publisher: Publisher
    clock: Clock
    recent: RecentSessions
    instance_id: str
    liveness: Liveness | None = None
    _published: LRUCache[str, None] = field(
        default_factory=lambda: LRUCache(maxsize=PUBLISHED_MEMORY), init=False, repr=False
    )

    async def send(self, session: Session) -> Session:
        """A decision was claimed: its document and its outbox go out. A crash in between
        loses nothing: the message that led here is redelivered and finds the decision made."""
        if session.finished:
            await self.documents.now(session)
            await self._publish_or_disown(session)
        else:
            # Both run to the end (a failed publish must not abandon the write); the outbox is
            # disowned only after the write, which would otherwise put the owner back.
            written, published = await asyncio.gather(
                self.documents.later(session), self._publish(session), return_exceptions=True
            )
            if isinstance(published, Exception):
                await self._disown(session)
                raise published
            if isinstance(written, BaseException):
                raise written
        return await self._clear_if_nobody_will(session)

    async def resend_if_orphaned(self, session: Session) -> Session:
        """A message that changed nothing (a redelivery, a duplicate): its outbox is sent
        again only when its writer will not send it: gone, disowned, or this process when
        its own publish did not go through."""
        if not session.outbox:
            return session
        owner = session.outbox_owner
        if owner == self.instance_id:
            if all(item.id in self._published for item in session.outbox):
                return session
        elif owner is not None and (self.liveness is None or await self.liveness.alive(owner)):
            return session
        return await self.flush(session)

    async def flush(self, session: Session) -> Session:
        """Publish the outbox as it stands (recovery, or a duplicate message). Consumers see
        a duplicate with the same event id, never a gap."""
        await self._publish(session)
        return await self._clear_if_nobody_will(session)

    async def release(self) -> int:
        """At a clean shutdown, once no handler runs: empty this process's published outboxes
        (the replicas that take over then send nothing again) and write every document still
        pending."""
        released = 0
        for session in self.recent.sessions():
            if session.outbox and session.outbox_owner == self.instance_id:
                await self._mark_published(session)
                released += 1
        await self.documents.flush()
        return released

    async def _publish_or_disown(self, session: Session) -> None:
        try:
            await self._publish(session)
        except Exception:
            await self._disown(session)
            raise

    async def _disown(self, session: Session) -> None:
        """A failed publish fails the handler (the message comes back, maybe to another
        replica): the outbox is then nobody's, so whoever sees it next sends it."""
        with contextlib.suppress(Exception):
            await self._claim(session, session.model_copy(update={"outbox_owner": None}))

    async def _publish(self, session: Session) -> None:
        for item in session.outbox:
            await self.publisher.publish(item.topic, item.key, item.payload.encode())
            log.info("published", kind=item.kind, topic=item.topic, event_id=item.id)
            self._published[item.id] = None

    async def _clear_if_nobody_will(self, session: Session) -> Session:
        """This process's commands wait in the outbox for the claim that records their
        answer. A finished session gets no such claim, and an outbox another process wrote
        (re-sent here) must not be re-sent again by the sweeper: those are emptied now. A
        crash before that leaves the outbox to recovery: a duplicate, never a lost message."""
        if not session.outbox:
            return session
        if session.outbox_owner == self.instance_id and not session.finished:
            return session
        return await self._mark_published(session)

    async def _mark_published(self, session: Session) -> Session:
        sent = {item.id for item in session.outbox}
        emptied = mark_published(session, sent, now=self.clock.now())
        return await self._claim(session, emptied)

    async def _claim(self, session: Session, changed: Session) -> Session:
        """A version that only steers the outbox. Lost to another writer, it is not needed:
        that writer's version decides what the outbox holds and who sends it."""
        saved = await self.repository.claim(session, changed)
        if saved is None:
            return session
        self.recent.put(saved)
        if saved.finished:
            await self.documents.now(saved)  # every end is written, its empty outbox too
        else:
            await self.documents.later(saved)
        return saved
