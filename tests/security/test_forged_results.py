"""Attack 1 of the bus issue: anyone able to write ``step.completed`` forges the answer to a
live session's interaction (the ids are predictable). Against the real orchestrator process:
an answer for another step, an ``ok`` without its step's data, an answer from the wrong kind
of executor, or one naming no executor kind is dead-lettered with the reason and changes
nothing stored; the real answer is still recorded afterwards (the control)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import Executor, Step
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    DEADLETTER,
    GIT_STEP_REQUESTED,
    SESSION_REQUESTED,
    STEP_COMPLETED,
    topic,
)
from cts_runtime.executor import StepOutcome, completion
from cts_testing.answers import sample_data
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import publish
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.harness import events_of, fresh_topics, observer, service_env, wait_until


async def _stored(db: Any) -> dict[str, Any]:
    return {
        name: {d["_id"]: d for d in await db[name].find({}).to_list()}
        for name in ("sessions", "session_versions")
    }


def _forgeries(command: StepRequestedData) -> list[tuple[str, dict[str, Any]]]:
    """(what the dead letter's reason must say, the forged event as JSON)."""
    generated = StepOutcome.ok("tests written", sample_data(command.step))
    honest = completion(command, generated, executor="intruder", started_at=datetime.now(UTC))
    body = honest.model_dump(mode="json")

    def forged(**data: Any) -> dict[str, Any]:
        return {**body, "data": {**body["data"], **data}}

    return [
        ("the answer is for finalize", forged(step=Step.FINALIZE.value, data=None)),
        ("an ok answer must carry its AgentData", forged(data=None)),
        ("the answer names git executor kind", forged(executor_kind=Executor.GIT.value)),
        ("the answer names no executor kind", forged(executor_kind=None)),
    ]


@pytest.fixture
async def prefix(stack: Endpoints) -> AsyncIterator[str]:
    async with fresh_topics(stack, "forge", partitions=1) as name:
        yield name


async def test_forged_answers_change_nothing_and_are_dead_lettered(
    stack: Endpoints, prefix: str, tmp_path: Path
) -> None:
    env = service_env(stack, prefix)
    # expect=none: Generate follows Initialize directly (no PrepareProject to answer first)
    request = session_requested(
        account_id="acme", project_id="shop", request_id="forge-1", options={"expect": "none"}
    )
    sid = request.data.session_id
    bootstrap = stack.kafka_bootstrap_servers
    orchestrator = ServiceProcess("cts_orchestrator", env, tmp_path / "orchestrator.log").start()
    try:
        async with (
            observer(stack, prefix) as events,
            database(stack, env["CTS_MONGODB_DATABASE"]) as db,
            # Initialize answers at once; nobody runs Generate: the session waits for it.
            FakeExecutors(
                bootstrap,
                topic_prefix=prefix,
                group_prefix=env["CTS_GROUP_PREFIX"],
                roles=("git",),
                kafka=stack.kafka_fields(),
            ),  # fmt: skip
        ):
            await publish(bootstrap, topic(SESSION_REQUESTED, prefix), request, key=sid,
                          security=stack.kafka_options("client"))  # fmt: skip
            await wait_until(lambda: events_of(events, AGENT_STEP_REQUESTED, sid), within=60,
                             what=f"Generate's command\n{orchestrator.log_tail(30)}")  # fmt: skip
            [asked] = events_of(events, AGENT_STEP_REQUESTED, sid)

            def finalize_asked() -> list[dict[str, Any]]:
                git = events_of(events, GIT_STEP_REQUESTED, sid)
                return [e for e in git if e["data"]["step"] == Step.FINALIZE.value]

            command = StepRequestedData.model_validate(asked["data"])
            before = await _stored(db)

            forgeries = _forgeries(command)
            forger = stack.kafka_options("test-runner")  # with ACLs only an executor can try
            for _, body in forgeries:
                await publish(bootstrap, topic(STEP_COMPLETED, prefix), json.dumps(body).encode(),
                              key=sid, security=forger)  # fmt: skip
            letters = topic(DEADLETTER, prefix)
            await wait_until(lambda: len(events.on(letters)) >= len(forgeries), within=30,
                             what=f"the dead letters\n{orchestrator.log_tail(30)}")  # fmt: skip
            reasons = [letter["reason"] for letter in events.on(letters)]
            for (said, _), reason in zip(forgeries, reasons, strict=True):
                assert said in reason, reasons
                assert command.interaction_id in reason
            assert await _stored(db) == before, "a forged answer changed the session"
            assert not finalize_asked(), "Finalize was asked for"

            # The control: the real agent's answer is still recorded and the session moves on.
            real = completion(command, StepOutcome.ok("tests written", sample_data(command.step)),
                              executor="agent-1", started_at=datetime.now(UTC))  # fmt: skip
            await publish(bootstrap, topic(STEP_COMPLETED, prefix), real, key=sid,
                          security=stack.kafka_options("agent-runner"))  # fmt: skip
            await wait_until(finalize_asked, within=30,
                             what=f"Finalize's command\n{orchestrator.log_tail(30)}")  # fmt: skip
            assert len(events.on(letters)) == len(forgeries)
    finally:
        orchestrator.stop()
