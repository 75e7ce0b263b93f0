"""The orchestrator decides from the session it saved last and leaves a published command in
the outbox for the write that records its answer; a stale memory costs a reload, never a wrong
decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cts_contracts import SessionStatus, Step, StepCompletedData, StepRequested
from cts_orchestrator.adapters import SystemClock
from cts_orchestrator.bootstrap import Orchestrator, bootstrap
from cts_orchestrator.ports import Liveness, Publisher
from cts_orchestrator.service import Policy
from cts_runtime.executor import completion
from cts_store import SessionStore, WriteBehind
from cts_testing.factories import session_request
from cts_testing.fake_executors import default_outcome

DEADLINES = dict.fromkeys(Step, timedelta(minutes=5))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[StepRequested] = []

    async def publish(self, topic: str, key: str, payload: bytes) -> None:
        if "step-requested" in topic:
            self.sent.append(StepRequested.model_validate_json(payload))


def answer_last(recorder: Recorder) -> StepCompletedData:
    command = recorder.sent[-1].data
    started = datetime.now(UTC)
    return completion(command, default_outcome(command), executor="t", started_at=started).data


def orchestrator(
    store: SessionStore, publisher: Publisher, liveness: Liveness | None = None
) -> Orchestrator:
    """Documents written with every claim (``CTS_DOCUMENT_DELAY_S=0``), so the raw documents
    show each step."""
    documents = WriteBehind(store, delay_s=0)
    return bootstrap(store, documents, publisher, SystemClock(), Policy(DEADLINES),
                     liveness=liveness)  # fmt: skip


async def test_a_replica_with_a_stale_memory_reloads_and_decides_once(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    first, second = orchestrator(store, recorder), orchestrator(store, recorder)
    request = session_request()
    await first.service.on_session_requested(request)
    await first.service.on_step_completed(answer_last(recorder))  # first remembers version 1
    await second.service.on_step_completed(answer_last(recorder))  # second moves it to version 2
    await first.service.on_step_completed(answer_last(recorder))  # first's memory is behind: reload
    await first.service.on_step_completed(answer_last(recorder))  # RunTests
    await first.service.on_step_completed(answer_last(recorder))  # Finalize
    doc = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert doc["status"] == SessionStatus.COMPLETE.value
    assert [i["step"] for i in doc["interactions"]] == [
        "initialize", "prepare_project", "generate_tests_and_fixtures", "run_tests", "finalize",
    ]  # fmt: skip
    assert [c.data.step.value for c in recorder.sent] == [i["step"] for i in doc["interactions"]]
    assert doc["version"] == 6, "five steps, then the end's emptied outbox, a claim of its own"
    assert doc["outbox"] == []


async def test_a_published_command_waits_in_the_outbox_for_its_answer(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    orch = orchestrator(store, recorder)
    request = session_request()
    await orch.service.on_session_requested(request)
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert [i["id"] for i in stored["outbox"]] == [recorder.sent[-1].id]
    assert stored["outbox_owner"] == orch.instance_id  # the sweeper leaves it to this process
    await orch.service.on_step_completed(answer_last(recorder))
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert [i["id"] for i in stored["outbox"]] == [recorder.sent[-1].id], "the answer's write"
    assert stored["interactions"][0]["result"]["status"] == "ok"
    assert stored["version"] == 1


async def test_a_clean_shutdown_marks_its_published_outboxes_published(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    orch = orchestrator(store, recorder)
    requests = [session_request(), session_request()]
    for request in requests:
        await orch.service.on_session_requested(request)
    assert await orch.relay.release() == 2
    for request in requests:
        stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
        assert stored["outbox"] == []
    assert len(recorder.sent) == 2, "releasing publishes nothing again"


async def test_a_duplicate_seen_through_a_stale_memory_changes_nothing(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    first, second = orchestrator(store, recorder), orchestrator(store, recorder)
    request = session_request()
    await first.service.on_session_requested(request)
    await first.service.on_step_completed(answer_last(recorder))  # Prepare in flight, remembered
    prepared = answer_last(recorder)
    await second.service.on_step_completed(prepared)  # recorded by the other replica
    before = await mongo_db["sessions"].find_one({"_id": request.session_id})
    await first.service.on_step_completed(prepared)  # a duplicate; first's copy says "unanswered"
    after = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert after["version"] == before["version"] == 2
    assert len(after["interactions"]) == 3
    assert [c.data.step.value for c in recorder.sent[:3]] == [
        "initialize", "prepare_project", "generate_tests_and_fixtures",
    ]  # fmt: skip
    # The outbox is the other replica's, and that replica lives: it sent the command, so the
    # duplicate sends nothing (and never a new step).
    assert recorder.sent[3:] == []
    assert [i["id"] for i in after["outbox"]] == [recorder.sent[2].id]
    assert after["outbox_owner"] == second.instance_id


class Silent:
    async def alive(self, instance_id: str) -> bool:
        return False


class Failing(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.fail = True

    async def publish(self, topic: str, key: str, payload: bytes) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        await super().publish(topic, key, payload)


async def test_a_duplicate_re_sends_only_what_its_writer_will_not(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    gone = orchestrator(store, recorder)
    rescuer = orchestrator(store, recorder, liveness=Silent())
    request = session_request()
    await gone.service.on_session_requested(request)
    await rescuer.service.on_session_requested(request)  # a duplicate request; its writer is gone
    assert [c.id for c in recorder.sent] == [recorder.sent[0].id] * 2
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert stored["outbox"] == [], "sent once more, then marked sent"


async def test_a_failed_publish_leaves_the_outbox_to_whoever_comes_next(mongo_db: Any) -> None:
    store, failing = SessionStore(mongo_db), Failing()
    orch = orchestrator(store, failing)
    request = session_request()
    with pytest.raises(ConnectionError):
        await orch.service.on_session_requested(request)
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert stored["outbox_owner"] is None, "disowned"
    failing.fail = False
    await orch.service.on_session_requested(request)  # the redelivery
    assert [c.data.step.value for c in failing.sent] == ["initialize"]
