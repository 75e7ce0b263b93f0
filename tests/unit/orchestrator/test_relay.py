"""The outbox relay with fakes: a failed publish disowns the outbox, recovery re-sends and
empties it, a clean shutdown hands the outboxes over, a document that trails is brought up."""

from __future__ import annotations

import pytest

from tests.unit.orchestrator.fakes import FakeLiveness, Harness, answer_to, started


async def test_a_failed_publish_disowns_the_outbox_and_the_redelivery_sends_it() -> None:
    harness = Harness()
    session = await started(harness)
    harness.publisher.failing = True
    with pytest.raises(ConnectionError):
        await harness.service.on_step_completed(answer_to(session))
    disowned = harness.sessions.latest(session.id)
    assert disowned.version == 2, "the answer's version, then the disowning one"
    assert disowned.outbox_owner is None
    await harness.documents.flush()
    assert harness.sessions.document(session.id).outbox_owner is None, "recovery can see it"

    harness.publisher.failing = False
    again = await harness.service.on_step_completed(answer_to(session))  # redelivered
    assert harness.sent_ids() == [session.interactions[0].id, disowned.interactions[1].id]
    assert again.outbox == []
    assert again.version == 3


async def test_recovery_resends_and_empties_an_outbox_whose_writer_is_gone() -> None:
    gone = Harness(instance_id="gone")
    session = await started(gone)
    sweeper = Harness(instance_id="me", liveness=FakeLiveness(), sessions=gone.sessions)
    flushed = await sweeper.relay.flush(session)
    assert sweeper.sent_ids() == [session.interactions[0].id]
    assert flushed.outbox == []
    assert flushed.version == 1
    assert flushed.outbox_owner == "gone", "recovery never takes the session over"


async def test_a_clean_shutdown_empties_its_outboxes_and_writes_every_document() -> None:
    harness = Harness()
    first = await started(harness)
    second = await started(harness)
    moved = await harness.service.on_step_completed(answer_to(first))
    assert harness.documents.pending, "documents wait for the write-behind loop"

    assert await harness.relay.release() == 2
    assert harness.documents.pending == {}
    for session in (moved, second):
        document = harness.sessions.document(session.id)
        assert document.outbox == []
        assert document == harness.sessions.latest(session.id)


async def test_a_document_that_trails_its_claims_is_written_by_the_next_writer() -> None:
    crashed = Harness(instance_id="crashed")
    session = await started(crashed)
    await crashed.service.on_step_completed(answer_to(session))  # claimed; document pending
    assert crashed.sessions.document(session.id).version == 0  # ... and the process dies

    successor = Harness(instance_id="next", liveness=FakeLiveness(), sessions=crashed.sessions)
    await successor.service.on_step_completed(answer_to(session))  # the redelivery
    await successor.documents.flush()
    document = successor.sessions.document(session.id)
    assert document == successor.sessions.latest(session.id)
    assert document.version >= 1


async def test_nothing_is_sent_twice_by_the_process_that_sent_it() -> None:
    harness = Harness(liveness=FakeLiveness("me"))
    session = await started(harness)
    again = await harness.relay.resend_if_orphaned(session)
    assert again == session
    assert harness.sent_ids() == [session.interactions[0].id]
