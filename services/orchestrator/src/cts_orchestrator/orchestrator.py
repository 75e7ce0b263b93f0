"""The orchestrator's service layer: decode nothing, decide nothing — load, apply the pure
transitions from ``cts_core``, compare-and-set, then publish what the outbox holds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from cts_contracts import ResultStatus, SessionRequestedData, Step, StepCompletedData
from cts_core import Result, Scope, Session, advance, mark_published, new_session, record_result
from cts_orchestrator.ports import Clock, Publisher
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import bound, get_logger
from cts_store import RecentSessions, SessionStore

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
        crash_step: Step | None = None,
        recent: RecentSessions | None = None,
        clear_delay_s: float = 0.2,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._deadlines = deadlines
        self._max_step_retries = max_step_retries
        self._max_cas_retries = max_cas_retries
        self._crash_after_record = crash_after_record
        self._crash_step = crash_step
        self._recent = recent if recent is not None else RecentSessions()
        self._clears = _DeferredClears(clear_delay_s)

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
            self._maybe_crash(session)
            self._recent.put(session)
            return await self.flush(session, defer=True)

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
        await self._clears.settle(session_id)
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
                return await self.flush(session)
            advanced = advance(recorded, now=self._clock.now(), deadlines=self._deadlines)
            saved = await self._store.save_changes(session, advanced)
            if saved is None:
                cached = None  # another replica moved the session: decide again from its version
                continue
            self._recent.put(saved)
            log.info(
                "result recorded",
                status=result.status.value,
                session_status=saved.status.value,
                next_step=saved.in_flight.step.value if saved.in_flight else None,
            )
            self._maybe_crash(saved)
            return await self.flush(saved, defer=True)
        raise ConcurrentUpdate(f"session {session_id}: too many concurrent updates")

    async def flush(self, session: Session, *, defer: bool = False) -> Session:
        """Publish the outbox, then remove what was published (compare-and-set again).

        A crash between the two publishes again later: consumers see a duplicate with the
        same event id, never a gap. With ``defer``, removing a command waits
        ``clear_delay_s``: an executor that answers sooner removes it in the write that
        records its answer, which saves a write per step.
        """
        if not session.outbox:
            return session
        published = set()
        for item in session.outbox:
            await self._publisher.publish(item.topic, item.key, item.payload.encode())
            published.add(item.id)
            log.info("published", kind=item.kind, topic=item.topic, event_id=item.id)
        if defer and all(item.kind == "command" for item in session.outbox):
            self._clears.schedule(session.id, lambda: self._mark_published(session, published))
            return session
        return await self._mark_published(session, published)

    async def _mark_published(self, session: Session, published: set[str]) -> Session:
        await self._store.pull_published(session, published)
        cleaned = mark_published(session, published, now=self._clock.now())
        self._recent.put(cleaned)
        return cleaned

    async def drain(self) -> None:
        """Let every deferred "mark published" finish (at shutdown: fewer re-publishes)."""
        await self._clears.drain()

    def _maybe_crash(self, session: Session) -> None:
        """Reliability tests only (``CTS_FAULT_INJECTION``): die as a crash would, with the
        command recorded in the outbox and not yet published."""
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


class _DeferredClears:
    """At most one pending "mark published" per session. A new transition of the session
    cancels it before it starts (the transition's own write covers it) or waits for it once
    started, so the two never race on the same version."""

    def __init__(self, delay_s: float) -> None:
        self._delay_s = delay_s
        self._pending: dict[str, tuple[asyncio.Task[None], list[bool]]] = {}

    def schedule(self, session_id: str, work: Callable[[], Awaitable[object]]) -> None:
        started = [False]

        async def later() -> None:
            await asyncio.sleep(self._delay_s)
            started[0] = True
            try:
                await work()
            except Exception:
                # Harmless: the sweeper re-publishes what stays in the outbox, as after a crash.
                log.warning("deferred outbox clear failed", session_id=session_id, exc_info=True)

        self._cancel(session_id)
        task = asyncio.create_task(later(), name=f"clear-outbox-{session_id}")
        self._pending[session_id] = (task, started)
        task.add_done_callback(lambda _: self._forget(session_id, task))

    async def settle(self, session_id: str) -> None:
        task = self._cancel(session_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drain(self) -> None:
        tasks = [task for task, _ in self._pending.values()]
        await asyncio.gather(*tasks, return_exceptions=True)

    def _cancel(self, session_id: str) -> asyncio.Task[None] | None:
        pending = self._pending.pop(session_id, None)
        if pending is None:
            return None
        task, started = pending
        if not started[0]:
            task.cancel()
        return task

    def _forget(self, session_id: str, task: asyncio.Task[None]) -> None:
        if session_id in self._pending and self._pending[session_id][0] is task:
            del self._pending[session_id]


OrchestratorFactory = Callable[[], Orchestrator]
