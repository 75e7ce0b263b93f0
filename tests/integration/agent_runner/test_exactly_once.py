"""Exactly one model conversation per interaction, whoever receives the command and however
often: claims in the real store, two instances, the real Kafka."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cts_agent_runner.app import build_app
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import ResultStatus, StepRequested
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import AGENT_STEP_REQUESTED, STEP_COMPLETED, topic
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints
from tests.integration.agent_runner.conftest import TEST_FILE, Scripted, generate_turns


def executors(seen: list[tuple[str, dict[str, Any]]]) -> set[str]:
    return {value["data"]["executor"] for _, value in seen}


def slow_generate(delay_s: float) -> list[dict[str, Any]]:
    turns = generate_turns()
    turns[0] = {**turns[0], "delay_s": delay_s}
    return turns


async def test_two_instances_one_run_and_later_redeliveries_get_the_stored_answer(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
) -> None:
    server = scripted({"name": "g", "turns": slow_generate(1.0)})
    settings = make_settings(server)
    first, second = make_step(settings), make_step(settings)
    running = asyncio.create_task(first(command))
    while not server.llm.requests:
        await asyncio.sleep(0.02)
    waiting = asyncio.create_task(second(command))  # waits for the owner's outcome
    outcome = await running
    assert outcome.status is ResultStatus.OK
    assert await asyncio.wait_for(waiting, 10) == outcome
    assert await second(command) == outcome
    assert await make_step(settings)(command) == outcome
    assert len(server.llm.requests) == 3
    assert server.llm.remaining() == {"g": 0}


async def test_an_expired_claim_of_a_dead_owner_is_taken_over(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    mongo_db: Any,
) -> None:
    past = datetime.now(UTC) - timedelta(seconds=30)
    await mongo_db["agent_claims"].insert_one({
        "_id": command.interaction_id, "account_id": command.account_id,
        "project_id": command.project_id, "session_id": command.session_id,
        "owner": "dead-pod/0", "status": "running", "lease_until": past, "takeovers": 0,
        "created_at": past, "updated_at": past,
    })  # fmt: skip
    server = scripted({"name": "g", "turns": generate_turns()})
    step = make_step(make_settings(server))
    outcome = await step(command)
    assert outcome.status is ResultStatus.OK
    claim = await mongo_db["agent_claims"].find_one(
        {"_id": command.interaction_id, "account_id": command.account_id,
         "project_id": command.project_id}
    )  # fmt: skip
    assert claim is not None
    assert (claim["owner"], claim["takeovers"], claim["status"]) == (step.owner, 1, "completed")


async def test_a_live_lease_is_renewed_while_the_model_works(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    mongo_db: Any,
) -> None:
    server = scripted({"name": "g", "turns": slow_generate(2.5)})
    settings = make_settings(server, claim_lease_s=1.5, claim_heartbeat_s=0.3)
    running = asyncio.create_task(make_step(settings)(command))
    await asyncio.sleep(2.0)  # past the first lease: only renewals keep it alive
    claim_filter = {"_id": command.interaction_id, "account_id": command.account_id,
                    "project_id": command.project_id}  # fmt: skip
    claim = await mongo_db["agent_claims"].find_one(claim_filter)
    assert claim is not None
    assert claim["lease_until"] > datetime.now(UTC)
    waiting = asyncio.create_task(make_step(settings)(command))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "a live lease is waited for, not run again"
    outcome = await running
    assert outcome.status is ResultStatus.OK
    assert await asyncio.wait_for(waiting, 10) == outcome
    assert len(server.llm.requests) == 3


@pytest.mark.usefixtures("restore_logging")
async def test_a_command_delivered_to_two_instances_over_kafka_runs_the_model_once(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    command: StepRequestedData,
    stack: Endpoints,
    topic_prefix: str,
    namespace: str,
) -> None:
    server = scripted({"name": "g", "turns": slow_generate(1.0)})
    # Two consumer groups: both instances receive the command, as after a rebalance.
    apps = [
        build_app(make_settings(server, topic_prefix=topic_prefix, group_prefix=f"{namespace}{n}",
                                instance_id=f"agent-{n}"))
        for n in (1, 2)
    ]  # fmt: skip
    event = StepRequested(source="cts/tests", subject=command.session_id, data=command)
    commands = topic(AGENT_STEP_REQUESTED, topic_prefix)
    results = topic(STEP_COMPLETED, topic_prefix)
    async with Collector(stack.kafka_bootstrap_servers, results) as events:
        for app in apps:
            await app.start()
        try:
            await publish(stack.kafka_bootstrap_servers, commands, event, key=command.session_id)
            await events.wait_for(lambda seen: len(seen) >= 1, within=60)
            # The outbox re-publishes the same command: each instance answers it, the runner
            # from its cache, the other from the stored claim (or it already did, if it read
            # the first copy only after the run ended).
            await publish(stack.kafka_bootstrap_servers, commands, event, key=command.session_id)
            await events.wait_for(lambda seen: executors(seen) == {"agent-1", "agent-2"}, 60)
        finally:
            for app in apps:
                await app.stop()

    completed = [c["data"] for c in events.on(results)]
    answers = {json.dumps([c["status"], c["summary"], c["data"]], sort_keys=True)
               for c in completed}  # fmt: skip
    assert len(answers) == 1
    assert completed[0]["status"] == "ok"
    assert completed[0]["data"]["files_written"][0] == TEST_FILE
    assert len(server.llm.requests) == 3
    assert {r["conversation"] for r in server.llm.requests} == {"g"}
