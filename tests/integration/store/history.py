"""Stored history for the retention tests: sessions written the way the services write them
(the store's claims and documents, the agent-runner's claim and transcript stores)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from cts_agent_runner.claims import ClaimKey, MongoClaims
from cts_agent_runner.transcripts import MongoTranscripts, Transcript
from cts_contracts import ResultStatus
from cts_core import Result, Session, advance, mark_published, new_session, record_result
from cts_runtime.executor import StepOutcome
from cts_store import SessionStore
from cts_testing.factories import session_request
from cts_testing.session_builders import DEADLINES

SESSIONS, SESSION_VERSIONS = "sessions", "session_versions"
AGENT_CLAIMS, AGENT_TRANSCRIPTS = "agent_claims", "agent_transcripts"


async def stored_session(
    database: Any,
    request_id: str,
    *,
    started: datetime,
    finished: datetime | None,
    published: bool = True,
) -> Session:
    """A session started at ``started`` with its first command, an agent claim and a
    transcript; failed at ``finished`` (and its ``SessionFinished`` published, unless not
    ``published``) unless that is ``None`` (then still active)."""
    store = SessionStore(database)
    session = advance(new_session(session_request(request_id=request_id), now=started),
                      now=started, deadlines=DEADLINES)  # fmt: skip
    session, _ = await store.create_or_get(session)
    in_flight = session.in_flight
    assert in_flight is not None
    key = ClaimKey(session.account_id, session.project_id, session.id, in_flight.id)
    claims = MongoClaims(database, clock=lambda: started)
    await claims.acquire(key, "agent-1", 60)
    await claims.complete(key, "agent-1", StepOutcome.error("no", "model refused"))
    transcripts = MongoTranscripts(database, block_cap=10_000, total_cap=100_000)
    await transcripts.save(session.account_id, session.project_id, session.id, model="m",
                           transcript=Transcript([{"role": "user", "content": "hi"}],
                                                 [in_flight.id]))  # fmt: skip
    if finished is None:  # a version of its own too, which must stay with it
        touched = await store.claim(session, session.model_copy(update={"updated_at": started}))
        assert touched is not None
        await store.write_documents([touched])
        return touched
    result = Result(status=ResultStatus.ERROR, summary="no", completed_at=finished)
    recorded = record_result(session, in_flight.id, result)
    assert recorded is not None
    failed = advance(recorded, now=finished, deadlines=DEADLINES)
    assert failed.finished
    saved = await store.claim(session, failed)
    assert saved is not None
    if not published:
        await store.write_documents([saved])
        return saved
    # SessionFinished published: the relay empties the outbox in a version of its own.
    sent = {item.id for item in saved.outbox}
    emptied = await store.claim(saved, mark_published(saved, sent, now=finished))
    assert emptied is not None
    await store.write_documents([emptied])
    return emptied


async def documents_of(database: Any, session: Session) -> Counter[str]:
    """How many documents each collection holds for ``session``."""
    ids = {
        SESSIONS: [session.id],
        SESSION_VERSIONS: [f"{session.id}#{v}" for v in range(1, session.version + 1)],
        AGENT_CLAIMS: [i.id for i in session.interactions],
        AGENT_TRANSCRIPTS: [session.id],
    }
    found: Counter[str] = Counter()
    for collection, keys in ids.items():
        found[collection] = await database[collection].count_documents({"_id": {"$in": keys}})
    return found
