"""The service layer with fakes: requests and answers become claimed versions and messages;
duplicates, strangers and lost races change nothing."""

from __future__ import annotations

import pytest

from cts_contracts import AgentData, Executor, ResultStatus, RunTestsData, SessionStatus, Step
from cts_core import Session
from cts_orchestrator.service import ConcurrentUpdate
from cts_runtime.decoding import BadMessage
from cts_testing.answers import sample_data
from cts_testing.factories import session_request
from tests.unit.orchestrator.fakes import FakeLiveness, FakeSessions, Harness, answer_to, started


async def test_a_request_creates_the_session_and_sends_initialize_once() -> None:
    harness = Harness()
    session = await started(harness)
    assert [i.step for i in session.interactions] == [Step.INITIALIZE]
    assert harness.sent_ids() == [session.interactions[0].id]
    assert session.outbox_owner == "me"
    assert session.outbox, "a published command waits in the outbox for its answer"
    assert harness.sessions.document(session.id) == session


async def test_a_repeated_request_sends_nothing_while_its_writer_lives() -> None:
    first = Harness(instance_id="a")
    request = session_request()
    await first.service.on_session_requested(request)
    second = Harness(instance_id="b", liveness=FakeLiveness("a"), sessions=first.sessions)
    again = await second.service.on_session_requested(request)
    assert again.version == 0
    assert second.publisher.sent == []


async def test_a_repeated_request_resends_the_outbox_of_a_writer_that_is_gone() -> None:
    first = Harness(instance_id="a")
    request = session_request()
    session = await first.service.on_session_requested(request)
    second = Harness(instance_id="b", liveness=FakeLiveness(), sessions=first.sessions)
    again = await second.service.on_session_requested(request)
    assert second.sent_ids() == [session.interactions[0].id]
    assert again.outbox == [], "re-sent for another writer: emptied by a claim of its own"
    assert again.version == 1
    await second.documents.flush()
    assert second.sessions.document(session.id).outbox == []


async def test_an_answer_is_recorded_and_the_next_command_sent() -> None:
    harness = Harness()
    session = await started(harness)
    after = await harness.service.on_step_completed(answer_to(session))
    assert after.version == 1
    assert [i.step for i in after.interactions] == [
        Step.INITIALIZE,
        Step.PREPARE_PROJECT,
    ]
    assert after.interactions[0].result is not None
    assert [item.id for item in after.outbox] == [after.interactions[1].id]
    assert harness.sent_ids()[-1] == after.interactions[1].id
    assert harness.sessions.latest(session.id) == after
    assert harness.sessions.document(session.id).version == 0, "the document follows later"
    await harness.documents.flush()
    assert harness.sessions.document(session.id) == after


async def test_a_duplicate_answer_changes_nothing_and_sends_nothing() -> None:
    harness = Harness()
    session = await started(harness)
    answer = answer_to(session)
    after = await harness.service.on_step_completed(answer)
    sent = list(harness.publisher.sent)
    again = await harness.service.on_step_completed(answer)
    assert again == after
    assert harness.publisher.sent == sent
    assert len(harness.sessions.versions[session.id]) == 2


async def test_a_lost_race_decides_again_from_the_winners_version() -> None:
    mine = Harness(instance_id="a")
    session = await started(mine)
    other = Harness(instance_id="b", sessions=mine.sessions)
    await other.service.on_step_completed(answer_to(session))  # b records Initialize's answer
    # a still remembers version 0; the same answer is a duplicate once judged from version 1
    again = await mine.service.on_step_completed(answer_to(session))
    assert again.version == 1
    assert len(mine.sessions.versions[session.id]) == 2, "nothing recorded twice"


async def test_claims_that_keep_losing_end_in_a_redelivery() -> None:
    class Contended(FakeSessions):
        async def claim(self, previous: Session, session: Session) -> Session | None:
            return None

    harness = Harness(sessions=Contended(), max_cas_retries=3)
    session = await started(harness)
    with pytest.raises(ConcurrentUpdate, match="too many concurrent updates"):
        await harness.service.on_step_completed(answer_to(session))


async def test_strangers_and_mismatched_answers_are_bad_messages() -> None:
    harness = Harness()
    session = await started(harness)
    answer = answer_to(session)
    with pytest.raises(BadMessage, match="unknown session"):
        await harness.service.on_step_completed(answer.model_copy(update={"account_id": "x"}))
    with pytest.raises(BadMessage, match="has no interaction"):
        await harness.service.on_step_completed(
            answer.model_copy(update={"interaction_id": f"{session.id}.999"})
        )
    with pytest.raises(
        BadMessage,
        match="asked for initialize; the answer carries run_tests data, not InitializeData",
    ):
        await harness.service.on_step_completed(
            answer.model_copy(update={"data": RunTestsData(compiled=True)})
        )
    wrong_step = answer.model_copy(
        update={"step": Step.FINALIZE, "data": None, "status": ResultStatus.ERROR}
    )
    with pytest.raises(BadMessage, match="asked for initialize; the answer is for finalize"):
        await harness.service.on_step_completed(wrong_step)
    assert len(harness.sessions.versions[session.id]) == 1, "nothing was recorded"


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        ({"data": None}, "asked for initialize; an ok answer must carry its InitializeData"),
        ({"executor_kind": Executor.AGENT}, "the git executor runs; the answer names agent"),
        ({"executor_kind": None}, "the git executor runs; the answer names no executor kind"),
        (
            {"data": sample_data(Step.FINALIZE)},
            "asked for initialize; the answer carries finalize data, not InitializeData",
        ),
    ],
)
async def test_an_answer_that_does_not_fit_its_command_changes_nothing(
    forged: dict[str, object], reason: str
) -> None:
    """The attack of the issue: a result naming a live interaction (the ids are predictable)
    but not answering what was asked is refused with the reason, before anything changes."""
    harness = Harness()
    session = await started(harness)
    sent = list(harness.publisher.sent)
    with pytest.raises(BadMessage, match=reason):
        await harness.service.on_step_completed(answer_to(session).model_copy(update=forged))
    assert len(harness.sessions.versions[session.id]) == 1, "nothing was recorded"
    assert harness.publisher.sent == sent, "nothing was sent"
    after = await harness.service.on_step_completed(answer_to(session))
    assert after.interactions[0].result is not None, "the real answer is still recorded"


async def test_an_error_answer_may_come_without_data() -> None:
    harness = Harness()
    session = await started(harness)
    after = await harness.service.on_step_completed(
        answer_to(session, ResultStatus.ERROR).model_copy(update={"data": None})
    )
    assert after.status is SessionStatus.FAILED


async def test_an_overdue_step_is_expired_as_transient_and_retried() -> None:
    harness = Harness()
    session = await started(harness)
    retried = await harness.service.expire(session)
    first = retried.interactions[0].result
    assert first is not None
    assert first.status is ResultStatus.TRANSIENT
    assert first.executor == "orchestrator-sweeper"
    assert [(i.step, i.attempt) for i in retried.interactions] == [
        (Step.INITIALIZE, 1),
        (Step.INITIALIZE, 2),
    ]


async def test_the_recorded_hook_runs_after_the_claim_and_before_any_publish() -> None:
    seen: list[tuple[int, int]] = []
    harness: Harness

    def recorded(session: Session) -> None:
        seen.append((session.version, len(harness.publisher.sent)))

    harness = Harness(recorded=recorded)
    session = await started(harness)
    await harness.service.on_step_completed(answer_to(session))
    assert seen == [(0, 0), (1, 1)]


async def test_a_session_that_ends_is_written_with_an_empty_outbox_at_once() -> None:
    """Every end is written: the document holds the finished session with nothing left to
    send before the handler returns, with no later write to wait for."""
    harness = Harness()
    session = await started(harness, expect="none")
    while not session.finished:
        data = None
        if session.in_flight and session.in_flight.step is Step.GENERATE_TESTS_AND_FIXTURES:
            data = AgentData(step="generate_tests_and_fixtures", turns=1)
        session = await harness.service.on_step_completed(answer_to(session, data=data))
    document = harness.sessions.document(session.id)
    assert document.status is SessionStatus.COMPLETE
    assert document.outbox == []
    assert document == harness.sessions.latest(session.id), "the document is the last claim"
    assert harness.sent_ids()[-1] == f"{session.id}.finished"
    assert harness.sent_ids().count(f"{session.id}.finished") == 1
