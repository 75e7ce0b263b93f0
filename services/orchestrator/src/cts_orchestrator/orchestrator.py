"""The orchestrator's service layer: decode nothing, decide nothing — load, apply the pure
transitions from ``cts_core``, compare-and-set, then publish what the outbox holds.

The outbox names this process (``outbox_owner``). A published command stays in the outbox
until the write that records its answer removes it: while this process lives (it beats in
``Instances``) recovery leaves its outboxes alone, so no step costs a second write to mark
its command published.

The claim is the record; the session document follows it through ``WriteBehind`` (written
within a moment, once per session however many versions it claimed meanwhile), except at a
session's end, which is written before ``SessionFinished`` is published."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from cts_contracts import ResultStatus, SessionRequestedData, Step, StepCompletedData
from cts_core import Result, Scope, Session, advance, mark_published, new_session, record_result
from cts_orchestrator.ports import Clock, Liveness, Publisher
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import bound, get_logger
from cts_store import RecentSessions, SessionStore, WriteBehind

log = get_logger(__name__)

PUBLISHED_MEMORY = 4096
"""Event ids this process published lately: a redelivered message re-sends only the rest."""


class ConcurrentUpdate(RuntimeError):
    """Compare-and-set kept losing: raised so the message is redelivered, not dropped."""


class Orchestrator:
    def __init__(
        self,
        store: SessionStore,
        publisher: Publisher,
        clock: Clock,
        *,
        deadlines: Mapping[Step, timedelta],
        max_step_retries: int = 2,
        max_cas_retries: int = 20,
        crash_after_record: bool = False,
        crash_step: Step | None = None,
        recent: RecentSessions | None = None,
        instance_id: str | None = None,
        liveness: Liveness | None = None,
        documents: WriteBehind | None = None,
    ) -> None:
        """Without ``liveness`` every other writer counts as alive: only the sweeper (or
        this process's own failed publishes) re-send an outbox. Without ``documents`` every
        version's document is written before the handler returns."""
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._deadlines = deadlines
        self._max_step_retries = max_step_retries
        self._max_cas_retries = max_cas_retries
        self._crash_after_record = crash_after_record
        self._crash_step = crash_step
        self._recent = recent if recent is not None else RecentSessions()
        self.instance_id = instance_id or uuid.uuid4().hex
        self._liveness = liveness
        self._published: OrderedDict[str, None] = OrderedDict()
        self.documents = documents or WriteBehind(store, delay_s=0)

    async def on_session_requested(self, request: SessionRequestedData) -> Session:
        now = self._clock.now()
        with bound(session_id=request.session_id):
            fresh = advance(
                new_session(request, now=now, max_step_retries=self._max_step_retries),
                now=now,
                deadlines=self._deadlines,
            ).model_copy(update={"outbox_owner": self.instance_id})
            session, created = await self._store.create_or_get(fresh)
            log.info("session requested", created=created, request_id=request.request_id)
            self._maybe_crash(session)
            self._recent.put(session)
            if not created:
                return await self._resend_if_orphaned(session)
            await self._publish_or_disown(session)
            return session

    async def on_step_completed(self, event: StepCompletedData) -> Session:
        scope = Scope(account_id=event.account_id, project_id=event.project_id)
        result = Result(
            status=event.status,
            summary=event.summary,
            error_message=event.error_message,
            data=event.data.model_dump(mode="json") if event.data else None,
            executor=event.executor,
            started_at=event.started_at,
            completed_at=event.completed_at,
        )
        with bound(session_id=event.session_id, interaction_id=event.interaction_id):
            return await self._apply(scope, event.session_id, event.interaction_id, result)

    async def expire(self, session: Session) -> Session:
        """The sweeper's verdict on an overdue step: a transient result, then the usual path."""
        in_flight = session.in_flight
        if in_flight is None:
            return session
        now = self._clock.now()
        result = Result(
            status=ResultStatus.TRANSIENT,
            summary=f"{in_flight.step.value} exceeded its deadline "
            f"({in_flight.deadline.isoformat()})",
            executor="orchestrator-sweeper",
            completed_at=now,
        )
        with bound(session_id=session.id, interaction_id=in_flight.id):
            log.warning("step overdue", step=in_flight.step.value)
            return await self._apply(session.scope, session.id, in_flight.id, result)

    async def _apply(
        self, scope: Scope, session_id: str, interaction_id: str, result: Result
    ) -> Session:
        cached = self._recent.get(scope, session_id)
        for _ in range(self._max_cas_retries):
            session = cached or await self._store.get(scope, session_id)
            if session is None:
                raise BadMessage(f"unknown session {session_id} for this account and project")
            known = session.interaction(interaction_id) is not None
            recorded = record_result(session, interaction_id, result) if known else None
            if recorded is None and cached is not None:
                cached = None  # the remembered copy may be behind: judge from the stored one
                continue
            if not known:
                raise BadMessage(f"session {session_id} has no interaction {interaction_id}")
            if recorded is None:
                log.info("result already recorded; nothing changes", status=result.status.value)
                return await self._resend_if_orphaned(session)
            advanced = advance(recorded, now=self._clock.now(), deadlines=self._deadlines)
            owned = advanced.model_copy(update={"outbox_owner": self.instance_id})
            claimed = await self._store.claim_changes(session, owned)
            if claimed is None:
                cached = None  # another replica moved the session: decide again from its version
                continue
            saved = claimed.session
            self._recent.put(saved)
            log.info(
                "result recorded",
                status=result.status.value,
                session_status=saved.status.value,
                next_step=saved.in_flight.step.value if saved.in_flight else None,
            )
            self._maybe_crash(saved)
            return await self._write_and_publish(saved)
        raise ConcurrentUpdate(f"session {session_id}: too many concurrent updates")

    async def _write_and_publish(self, session: Session) -> Session:
        """The claim is the record (a reader catches up from it), so the document's write
        and the publish of a command go together; a crash in between loses nothing: the
        message that led here is redelivered and finds the decision already made. The end
        of a session waits for its write: whoever hears ``SessionFinished`` may read the
        session document directly."""
        if session.finished:
            await self.documents.now(session)
            await self._publish_or_disown(session)
        else:
            await _together(self.documents.later(session), self._publish_or_disown(session))
        return await self._clear_if_nobody_will(session)

    async def _publish_or_disown(self, session: Session) -> None:
        """A failed publish fails the handler (the message comes back, maybe to another
        replica): the outbox is then nobody's, so whoever sees it next sends it."""
        try:
            await self._publish(session)
        except Exception:
            with contextlib.suppress(Exception):
                await self._store.disown_outbox(session.id)
            raise

    async def _resend_if_orphaned(self, session: Session) -> Session:
        """A message that changed nothing (a redelivery, a duplicate): its outbox is sent
        again only when its writer will not send it: gone, disowned, or this process when
        its own publish did not go through."""
        if not session.outbox:
            return session
        owner = session.outbox_owner
        if owner == self.instance_id:
            if all(item.id in self._published for item in session.outbox):
                return session
        elif owner is not None and (self._liveness is None or await self._liveness.alive(owner)):
            return session
        return await self.flush(session)

    async def flush(self, session: Session) -> Session:
        """Publish the outbox as it stands (recovery, or a duplicate message). Consumers see
        a duplicate with the same event id, never a gap."""
        await self._publish(session)
        return await self._clear_if_nobody_will(session)

    async def _publish(self, session: Session) -> None:
        for item in session.outbox:
            await self._publisher.publish(item.topic, item.key, item.payload.encode())
            log.info("published", kind=item.kind, topic=item.topic, event_id=item.id)
            self._published[item.id] = None
            if len(self._published) > PUBLISHED_MEMORY:
                self._published.popitem(last=False)

    async def _clear_if_nobody_will(self, session: Session) -> Session:
        """This process's commands wait in the outbox for the write that records their
        answer. A finished session gets no such write, and an outbox another process wrote
        (re-published here) must not be re-published again by the sweeper: those are
        cleared now."""
        if not session.outbox:
            return session
        sent = {item.id for item in session.outbox}
        if session.outbox_owner != self.instance_id:
            return await self._mark_published(session, sent)
        if not session.finished:
            return session
        # Its own end: the emptied outbox goes with the next document write. A crash before
        # that leaves the outbox to recovery: a duplicate SessionFinished, never a lost one.
        cleaned = mark_published(session, sent, now=self._clock.now())
        self._recent.put(cleaned)
        await self.documents.later(cleaned)
        return cleaned

    async def release(self) -> int:
        """At a clean shutdown, once no handler runs: mark this process's published outboxes
        published, so the replicas that take over do not send those commands again. The
        documents still pending are written first."""
        await self.documents.flush()
        released = 0
        for session in self._recent.sessions():
            if session.outbox and session.outbox_owner == self.instance_id:
                await self._mark_published(session, {item.id for item in session.outbox})
                released += 1
        return released

    async def _mark_published(self, session: Session, published: set[str]) -> Session:
        await self._store.pull_published(session, published)
        cleaned = mark_published(session, published, now=self._clock.now())
        self._recent.put(cleaned)
        return cleaned

    def _maybe_crash(self, session: Session) -> None:
        """Reliability tests only (``CTS_FAULT_INJECTION``): die as a crash would, with the
        decision stored (for a step result: claimed, the session document not yet written)
        and nothing published."""
        if not self._crash_after_record:
            return
        command = session.in_flight
        if self._crash_step is not None and (
            command is None or command.step is not self._crash_step
        ):
            return
        log.warning("fault injection: SIGKILL after recording, before publishing",
                    step=command.step.value if command else None)  # fmt: skip
        os.kill(os.getpid(), signal.SIGKILL)


async def _together(*work: Awaitable[object]) -> None:
    """Run all to the end (a failed publish must not abandon the write), then fail if any did."""
    for outcome in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


OrchestratorFactory = Callable[[], Orchestrator]
