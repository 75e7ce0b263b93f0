"""In-memory ports for the orchestrator's unit tests (the real ones: ``cts_store`` on
FerretDB and Kafka, in the integration tests).

``FakeSessions`` keeps what the store keeps: every claimed version of a session (the record)
and the session document (the view, which may trail the claims)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from cts_contracts import ResultStatus, Step, StepCompletedData, StepDataModel
from cts_core import Scope, Session, messages
from cts_orchestrator.bootstrap import Orchestrator, bootstrap
from cts_orchestrator.ports import Recorded, nothing_recorded
from cts_orchestrator.relay import OutboxRelay
from cts_orchestrator.service import Policy, SessionService
from cts_runtime.executor import StepOutcome, completion
from cts_store import Loaded
from cts_testing.answers import sample_data
from cts_testing.factories import session_request
from cts_testing.session_builders import T0


class FakeSessions:
    """A ``SessionRepository``: compare-and-set on the version, readers see the last claim."""

    def __init__(self) -> None:
        self.versions: dict[str, list[Session]] = {}
        self.documents: dict[str, Session] = {}

    async def create_or_get(self, session: Session) -> tuple[Session, bool]:
        if session.id in self.versions:
            return self.latest(session.id), False
        self.versions[session.id] = [session]
        self.documents[session.id] = session
        return session, True

    async def load(self, scope: Scope, session_id: str) -> Loaded | None:
        if session_id not in self.versions:
            return None
        latest = self.latest(session_id)
        if latest.scope != scope:
            return None
        return Loaded(latest, behind=self.documents[session_id].version < latest.version)

    async def claim(self, previous: Session, session: Session) -> Session | None:
        claimed = self.versions[previous.id]
        if len(claimed) != previous.version + 1:
            return None
        saved = session.model_copy(update={"version": previous.version + 1})
        claimed.append(saved)
        return saved

    def latest(self, session_id: str) -> Session:
        return self.versions[session_id][-1]

    def document(self, session_id: str) -> Session:
        return self.documents[session_id]


class FakeDocuments:
    """A ``Documents`` port writing into ``FakeSessions.documents``: ``later`` waits for
    ``flush`` (as ``WriteBehind`` waits for its loop), ``now`` writes at once."""

    def __init__(self, sessions: FakeSessions) -> None:
        self._sessions = sessions
        self.pending: dict[str, Session] = {}

    async def later(self, session: Session) -> None:
        self.pending[session.id] = session

    async def now(self, session: Session) -> None:
        self.pending.pop(session.id, None)
        self._sessions.documents[session.id] = session

    async def flush(self) -> int:
        written = len(self.pending)
        self._sessions.documents.update(self.pending)
        self.pending = {}
        return written


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bytes]] = []
        self.failing = False

    async def publish(self, topic: str, key: str, payload: bytes) -> None:
        if self.failing:
            raise ConnectionError("broker away")
        self.sent.append((topic, key, payload))


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeLiveness:
    def __init__(self, *alive: str) -> None:
        self.alive_ids = set(alive)

    async def alive(self, instance_id: str) -> bool:
        return instance_id in self.alive_ids


DEADLINES = dict.fromkeys(Step, timedelta(minutes=30))


class Harness:
    """The orchestrator wired to fakes, as ``app.py`` wires it to the real ports."""

    def __init__(
        self,
        *,
        instance_id: str = "me",
        liveness: FakeLiveness | None = None,
        recorded: Recorded = nothing_recorded,
        sessions: FakeSessions | None = None,
        max_cas_retries: int = 20,
    ) -> None:
        self.sessions = sessions or FakeSessions()
        self.documents = FakeDocuments(self.sessions)
        self.publisher = FakePublisher()
        self.clock = FakeClock()
        self.orchestrator: Orchestrator = bootstrap(
            self.sessions, self.documents, self.publisher, self.clock,
            Policy(DEADLINES, max_cas_retries=max_cas_retries),
            instance_id=instance_id, liveness=liveness, recorded=recorded,
        )  # fmt: skip

    @property
    def service(self) -> SessionService:
        return self.orchestrator.service

    @property
    def relay(self) -> OutboxRelay:
        return self.orchestrator.relay

    def sent_ids(self) -> list[str]:
        """The event ids published, in order."""
        return [str(json.loads(payload)["id"]) for _, _, payload in self.publisher.sent]


def answer_to(
    session: Session,
    status: ResultStatus = ResultStatus.OK,
    data: StepDataModel | None = None,
    *,
    summary: str = "done",
) -> StepCompletedData:
    """The executor's answer to ``session``'s command in flight (its sample data by default),
    built as the real harness builds it."""
    interaction = session.in_flight
    assert interaction is not None, "nothing in flight"
    command = messages.command(session, interaction).data
    outcome = StepOutcome(status, summary, None, data or sample_data(command.step))
    return completion(command, outcome, executor="fake", started_at=T0).data


async def started(harness: Harness, **options: object) -> Session:
    """A new session requested through ``harness`` (Initialize sent)."""
    request = session_request(options=options) if options else session_request()
    return await harness.service.on_session_requested(request)
