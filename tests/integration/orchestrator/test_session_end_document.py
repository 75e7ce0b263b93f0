"""Every end is written: when the handler that ends a session returns, the stored document
is the finished session with nothing left to send, even with documents written behind their
claims (no later write of the session will come to empty it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cts_orchestrator.adapters import SystemClock
from cts_orchestrator.bootstrap import bootstrap
from cts_orchestrator.service import Policy
from cts_runtime.executor import completion
from cts_store import SessionStore, WriteBehind
from cts_testing.factories import session_request
from cts_testing.fake_executors import default_outcome
from tests.integration.orchestrator.test_orchestrator_memory import DEADLINES, Recorder


async def test_the_end_and_its_empty_outbox_are_in_the_document_at_once(mongo_db: Any) -> None:
    store, recorder = SessionStore(mongo_db), Recorder()
    documents = WriteBehind(store, delay_s=60)  # nothing waits for the write-behind loop
    orchestrator = bootstrap(store, documents, recorder, SystemClock(), Policy(DEADLINES))
    request = session_request(options={"expect": "none"})
    await orchestrator.service.on_session_requested(request)
    for _ in range(3):
        command = recorder.sent[-1].data
        started = datetime.now(UTC)
        answer = completion(command, default_outcome(command), executor="t", started_at=started)
        await orchestrator.service.on_step_completed(answer.data)

    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert stored["status"] == "complete"
    assert stored["outbox"] == []
    assert stored["outbox_pending"] is False
    steps = [command.data.step.value for command in recorder.sent]
    assert steps == ["initialize", "generate_tests_and_fixtures", "finalize"]
