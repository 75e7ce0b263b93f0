"""The orchestrator's service layer: decode nothing, decide nothing — load, apply the pure
transitions from ``cts_core``, compare-and-set, then publish what the outbox holds."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from datetime import timedelta

from cts_contracts import ResultStatus, SessionRequestedData, Step, StepCompletedData
from cts_core import Result, Scope, Session, advance, mark_published, new_session, record_result
from cts_orchestrator.ports import Clock, Publisher
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import bound, get_logger
from cts_store import SessionStore

log = get_logger(__name__)


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
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._deadlines = deadlines
        self._max_step_retries = max_step_retries
        self._max_cas_retries = max_cas_retries
        self._crash_after_record = crash_after_record

    async def on_session_requested(self, request: SessionRequestedData) -> Session:
        now = self._clock.now()
        with bound(session_id=request.session_id):
            fresh = advance(
                new_session(request, now=now, max_step_retries=self._max_step_retries),
                now=now,
                deadlines=self._deadlines,
            )
            session, created = await self._store.create_or_get(fresh)
            log.info("session requested", created=created, request_id=request.request_id)
            self._maybe_crash()
            return await self.flush(session)

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
        for _ in range(self._max_cas_retries):
            session = await self._store.get(scope, session_id)
            if session is None:
                raise BadMessage(f"unknown session {session_id} for this account and project")
            if session.interaction(interaction_id) is None:
                raise BadMessage(f"session {session_id} has no interaction {interaction_id}")
            recorded = record_result(session, interaction_id, result)
            if recorded is None:
                log.info("result already recorded; nothing changes", status=result.status.value)
                return await self.flush(session)
            advanced = advance(recorded, now=self._clock.now(), deadlines=self._deadlines)
            saved = await self._store.save(advanced, expected_version=session.version)
            if saved is None:
                continue  # another replica moved the session: decide again from its version
            log.info(
                "result recorded",
                status=result.status.value,
                session_status=saved.status.value,
                next_step=saved.in_flight.step.value if saved.in_flight else None,
            )
            self._maybe_crash()
            return await self.flush(saved)
        raise ConcurrentUpdate(f"session {session_id}: too many concurrent updates")

    async def flush(self, session: Session) -> Session:
        """Publish the outbox, then remove what was published (compare-and-set again).

        A crash between the two publishes again later: consumers see a duplicate with the
        same event id, never a gap.
        """
        if not session.outbox:
            return session
        published = set()
        for item in session.outbox:
            await self._publisher.publish(item.topic, item.key, item.payload.encode())
            published.add(item.id)
            log.info("published", kind=item.kind, topic=item.topic, event_id=item.id)
        current: Session | None = session
        for _ in range(self._max_cas_retries):
            assert current is not None
            cleaned = mark_published(current, published, now=self._clock.now())
            saved = await self._store.save(cleaned, expected_version=current.version)
            if saved is not None:
                return saved
            current = await self._store.get(session.scope, session.id)
            if current is None or not any(i.id in published for i in current.outbox):
                return current or session
        raise ConcurrentUpdate(f"session {session.id}: could not clear the outbox")

    def _maybe_crash(self) -> None:
        if self._crash_after_record:
            log.warning("fault injection: SIGKILL after recording, before publishing")
            os.kill(os.getpid(), signal.SIGKILL)


OrchestratorFactory = Callable[[], Orchestrator]
