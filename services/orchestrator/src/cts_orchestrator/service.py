"""The orchestrator's service layer: decode nothing, decide nothing itself. Load the session,
apply the pure transitions of ``cts_core``, claim the new version (compare-and-set), and hand
it to the ``OutboxRelay`` to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from cts_contracts import ResultStatus, SessionRequestedData, Step, StepCompletedData
from cts_core import Result, Scope, Session, advance, new_session, record_result, why_refused
from cts_orchestrator.ports import (
    Clock,
    Documents,
    Recorded,
    SessionRepository,
    nothing_recorded,
)
from cts_orchestrator.relay import OutboxRelay
from cts_runtime.decoding import BadMessage
from cts_runtime.logs import bound, get_logger
from cts_store import RecentSessions

log = get_logger(__name__)


class ConcurrentUpdate(RuntimeError):
    """Compare-and-set kept losing: raised so the message is redelivered, not dropped."""


@dataclass(frozen=True)
class Policy:
    """How sessions are driven: each step's deadline, the retries of a transient result, and
    the claims one message may lose before it is redelivered."""

    deadlines: Mapping[Step, timedelta]
    max_step_retries: int = 2
    max_cas_retries: int = 20


@dataclass
class SessionService:
    repository: SessionRepository
    documents: Documents
    relay: OutboxRelay
    clock: Clock
    recent: RecentSessions
    policy: Policy
    recorded: Recorded = nothing_recorded

    async def on_session_requested(self, request: SessionRequestedData) -> Session:
        now = self.clock.now()
        with bound(session_id=request.session_id):
            fresh = advance(
                new_session(request, now=now, max_step_retries=self.policy.max_step_retries),
                now=now,
                deadlines=self.policy.deadlines,
            ).model_copy(update={"outbox_owner": self.relay.instance_id})
            session, created = await self.repository.create_or_get(fresh)
            log.info("session requested", created=created, request_id=request.request_id)
            self.recorded(session)
            self.recent.put(session)
            if not created:
                return await self.relay.resend_if_orphaned(session)
            return await self.relay.send(session)

    async def on_step_completed(self, event: StepCompletedData) -> Session:
        """Recorded only when it answers the command as recorded (``why_refused``); anything
        else is a ``BadMessage`` (dead-lettered with the reason) and changes nothing."""
        scope = Scope(account_id=event.account_id, project_id=event.project_id)
        result = Result.model_validate(event, from_attributes=True)  # the answer's own fields
        with bound(session_id=event.session_id, interaction_id=event.interaction_id):
            return await self._apply(scope, event.session_id, event.interaction_id, result,
                                     answer=event)  # fmt: skip

    async def expire(self, session: Session) -> Session:
        """The sweeper's verdict on an overdue step: a transient result, then the usual path."""
        in_flight = session.in_flight
        if in_flight is None:
            return session
        result = Result(
            status=ResultStatus.TRANSIENT,
            summary=f"{in_flight.step.value} exceeded its deadline "
            f"({in_flight.deadline.isoformat()})",
            executor="orchestrator-sweeper",
            completed_at=self.clock.now(),
        )
        with bound(session_id=session.id, interaction_id=in_flight.id):
            log.warning("step overdue", step=in_flight.step.value)
            return await self._apply(session.scope, session.id, in_flight.id, result)

    async def _apply(
        self,
        scope: Scope,
        session_id: str,
        interaction_id: str,
        result: Result,
        *,
        answer: StepCompletedData | None = None,
    ) -> Session:
        """Record ``result`` for the interaction: an executor's ``answer``, checked against
        the command, or the sweeper's own verdict (no answer)."""
        cached = self.recent.get(scope, session_id)
        for _ in range(self.policy.max_cas_retries):
            session = cached or await self._load(scope, session_id)
            target = session.interaction(interaction_id)
            recorded = record_result(session, interaction_id, result) if target else None
            if recorded is None and cached is not None:
                cached = None  # the remembered copy may be behind: judge from the stored one
                continue
            if target is None:
                raise BadMessage(f"session {session_id} has no interaction {interaction_id}")
            refused = why_refused(target, answer) if answer is not None else None
            if refused is not None:
                raise BadMessage(refused)
            if recorded is None:
                log.info("result already recorded; nothing changes", status=result.status.value)
                return await self.relay.resend_if_orphaned(session)
            decided = advance(recorded, now=self.clock.now(), deadlines=self.policy.deadlines)
            owned = decided.model_copy(update={"outbox_owner": self.relay.instance_id})
            saved = await self.repository.claim(session, owned)
            if saved is None:
                cached = None  # another replica moved the session: decide again from its version
                continue
            self.recent.put(saved)
            log.info(
                "result recorded",
                status=result.status.value,
                session_status=saved.status.value,
                next_step=saved.in_flight.step.value if saved.in_flight else None,
            )
            self.recorded(saved)
            return await self.relay.send(saved)
        raise ConcurrentUpdate(f"session {session_id}: too many concurrent updates")

    async def _load(self, scope: Scope, session_id: str) -> Session:
        loaded = await self.repository.load(scope, session_id)
        if loaded is None:
            raise BadMessage(f"unknown session {session_id} for this account and project")
        if loaded.behind:  # its writer died between claim and document: the document follows
            await self.documents.later(loaded.session)
        return loaded.session
