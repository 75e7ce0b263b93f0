"""The session store against the real MongoDB-compatible server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cts_contracts import ResultStatus, SessionStatus
from cts_core import Result, Scope, advance, new_session, record_result
from cts_store import SessionStore
from cts_testing.factories import session_request
from cts_testing.session_builders import DEADLINES

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(mongo_db: Any) -> SessionStore:
    sessions = SessionStore(mongo_db)
    await sessions.ensure_indexes()
    await sessions.ensure_indexes()  # idempotent
    return sessions


async def test_create_or_get_maps_a_repeated_request_to_one_session(store: SessionStore) -> None:
    request = session_request(request_id="same-key")
    first, created = await store.create_or_get(new_session(request, now=NOW))
    again, created_again = await store.create_or_get(new_session(request, now=NOW + timedelta(1)))
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert again.created_at == NOW
    page = await store.list_sessions(first.scope)
    assert [s.id for s in page.sessions] == [first.id]


async def test_a_session_round_trips_with_interactions_and_outbox(store: SessionStore) -> None:
    session = advance(new_session(session_request(), now=NOW), now=NOW, deadlines=DEADLINES)
    await store.create_or_get(session)
    loaded = await store.get(session.scope, session.id)
    assert loaded == session


async def test_another_accounts_session_is_not_found(store: SessionStore) -> None:
    session, _ = await store.create_or_get(new_session(session_request(), now=NOW))
    other = Scope(account_id="intruder", project_id=session.project_id)
    assert await store.get(other, session.id) is None
    assert (await store.list_sessions(other)).sessions == []
    intruder = session.model_copy(update={"account_id": "intruder"})
    assert await store.claim(intruder, intruder.model_copy(update={"reason": "x"})) is None
    assert (await store.get(session.scope, session.id)) == session


async def test_a_claim_is_compare_and_set_on_version(store: SessionStore) -> None:
    session, _ = await store.create_or_get(new_session(session_request(), now=NOW))
    moved = advance(session, now=NOW, deadlines=DEADLINES)
    won = await store.claim(session, moved)
    lost = await store.claim(session, moved)
    assert won is not None
    assert won.version == 1
    assert lost is None
    in_flight = won.in_flight
    assert in_flight is not None
    answered = record_result(
        won, in_flight.id, Result(status=ResultStatus.OK, summary="ok", completed_at=NOW)
    )
    assert answered is not None
    saved = await store.claim(won, answered)
    assert saved is not None
    assert saved.version == 2


async def test_list_is_newest_first_with_a_cursor_and_a_status_filter(store: SessionStore) -> None:
    ids = []
    for i in range(5):
        created, _ = await store.create_or_get(
            new_session(session_request(request_id=f"r{i}"), now=NOW + timedelta(minutes=i))
        )
        ids.append(created.id)
    scope = Scope(account_id="acme", project_id="shop")
    first = await store.list_sessions(scope, limit=2)
    second = await store.list_sessions(scope, limit=2, cursor=first.next_cursor)
    third = await store.list_sessions(scope, limit=2, cursor=second.next_cursor)
    listed = [s.id for page in (first, second, third) for s in page.sessions]
    assert listed == list(reversed(ids))
    assert third.next_cursor is None
    assert (await store.list_sessions(scope, status=SessionStatus.FAILED)).sessions == []


async def test_sweeper_queries_find_pending_outbox_and_overdue_sessions(
    store: SessionStore,
) -> None:
    session, _ = await store.create_or_get(new_session(session_request(), now=NOW))
    moved = await store.claim(session, advance(session, now=NOW, deadlines=DEADLINES))
    assert moved is not None
    await store.write_documents([moved])
    assert [s.id for s in await store.with_pending_outbox(older_than=NOW)] == [session.id]
    assert await store.with_pending_outbox(older_than=NOW - timedelta(seconds=1)) == []
    deadline = moved.current_deadline
    assert deadline is not None
    assert await store.overdue(now=deadline) == []
    assert [s.id for s in await store.overdue(now=deadline + timedelta(seconds=1))] == [session.id]


async def test_an_outbox_whose_writer_lives_is_left_to_it(store: SessionStore) -> None:
    fresh = advance(new_session(session_request(), now=NOW), now=NOW, deadlines=DEADLINES)
    session, _ = await store.create_or_get(fresh.model_copy(update={"outbox_owner": "replica-a"}))
    later = NOW + timedelta(minutes=1)
    assert await store.with_pending_outbox(older_than=later, live_owners={"replica-a"}) == []
    found = await store.with_pending_outbox(older_than=later, live_owners={"replica-b"})
    assert [s.id for s in found] == [session.id]
