"""The orchestrator decides from the session it saved last and leaves the outbox to the next
write when an answer comes quickly; a stale memory costs a reload, never a wrong decision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from cts_contracts import SessionStatus, Step, StepCompletedData, StepRequested
from cts_orchestrator.orchestrator import Orchestrator
from cts_orchestrator.ports import SystemClock
from cts_runtime.executor import completion
from cts_store import SessionStore
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


def orchestrator(store: SessionStore, recorder: Recorder, delay: float = 0.2) -> Orchestrator:
    return Orchestrator(store, recorder, SystemClock(), deadlines=DEADLINES, clear_delay_s=delay)


async def test_a_replica_with_a_stale_memory_reloads_and_decides_once(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    first, second = orchestrator(store, recorder), orchestrator(store, recorder)
    request = session_request()
    await first.on_session_requested(request)
    await first.on_step_completed(answer_last(recorder))  # first remembers version 1
    await second.on_step_completed(answer_last(recorder))  # second moves it to version 2
    await first.on_step_completed(answer_last(recorder))  # first's memory is behind: reload
    await first.on_step_completed(answer_last(recorder))  # Finalize
    await asyncio.gather(first.drain(), second.drain())
    doc = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert doc["status"] == SessionStatus.COMPLETE.value
    assert [i["step"] for i in doc["interactions"]] == [
        "initialize", "generate_tests_and_fixtures", "run_tests", "finalize",
    ]  # fmt: skip
    assert [c.data.step.value for c in recorder.sent] == [i["step"] for i in doc["interactions"]]
    assert doc["version"] == 4
    assert doc["outbox"] == []


async def test_a_slow_answer_finds_its_command_already_marked_published(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    orch = orchestrator(store, recorder, delay=0.05)
    request = session_request()
    await orch.on_session_requested(request)
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert [i["kind"] for i in stored["outbox"]] == ["command"], "cleared after the delay"
    await asyncio.sleep(0.3)
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert stored["outbox"] == []
    await orch.on_step_completed(answer_last(recorder))
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert [i["id"] for i in stored["outbox"]] == [recorder.sent[-1].id]
    await orch.drain()
    assert stored["interactions"][0]["result"]["status"] == "ok"


async def test_a_duplicate_seen_through_a_stale_memory_changes_nothing(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    first, second = orchestrator(store, recorder), orchestrator(store, recorder)
    request = session_request()
    await first.on_session_requested(request)
    await first.on_step_completed(answer_last(recorder))  # Generate in flight, remembered
    generated = answer_last(recorder)
    await second.on_step_completed(generated)  # recorded by the other replica
    before = await mongo_db["sessions"].find_one({"_id": request.session_id})
    await first.on_step_completed(generated)  # a duplicate; first's copy says "unanswered"
    await asyncio.gather(first.drain(), second.drain())
    after = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert after["version"] == before["version"] == 2
    assert len(after["interactions"]) == 3
    assert [c.data.step.value for c in recorder.sent[:3]] == [
        "initialize", "generate_tests_and_fixtures", "run_tests",
    ]  # fmt: skip
    # A duplicate flushes what the outbox still holds: at most the in-flight command again
    # (the other replica's "mark published" may not have run yet), never a new step.
    assert {c.id for c in recorder.sent[3:]} <= {recorder.sent[2].id}
