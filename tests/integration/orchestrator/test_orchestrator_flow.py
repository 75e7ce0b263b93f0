"""The orchestrator drives sessions over the real Kafka and FerretDB with scripted executors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from faststream import FastStream

from cts_contracts import ResultStatus, Step
from cts_contracts.step_completed import FinalizeData, RunTestsData
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import (
    DEADLETTER,
    SESSION_FINISHED,
    SESSION_REQUESTED,
    STEP_COMPLETED,
    topic,
)
from cts_runtime.executor import StepOutcome
from cts_testing.answers import sample_data
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints


def red_then_fixed(command: StepRequestedData, seen_before: int) -> StepOutcome | None:
    if command.step is Step.RUN_TESTS and seen_before == 0:
        return StepOutcome.error(
            "does not compile",
            "test/my_app/accounts/user_repository_test.exs:12: undefined function build/1",
            RunTestsData(compiled=False, report="test/...:12: undefined function build/1"),
        )
    return None


def finished(prefix: str, count: int = 1) -> Any:
    return lambda events: (
        len([e for t, e in events if t == topic(SESSION_FINISHED, prefix)]) >= count
    )


async def outbox_emptied(mongo_db: Any, session_id: str, *, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        doc = await mongo_db["sessions"].find_one({"_id": session_id})
        if doc["outbox"] == [] and doc["outbox_pending"] is False:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)


def steps_of(sessions_doc: dict[str, Any]) -> list[str]:
    return [i["step"] for i in sessions_doc["interactions"]]


async def test_error_fix_ok_path_completes_and_finishes_once(
    stack: Endpoints, topic_prefix: str, namespace: str, orchestrator: FastStream, mongo_db: Any
) -> None:
    request = session_requested()
    async with (
        Collector(stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, topic_prefix)) as events,
        FakeExecutors(stack.kafka_bootstrap_servers, topic_prefix=topic_prefix,
                      group_prefix=namespace, script=red_then_fixed) as executors,
    ):  # fmt: skip
        await publish(stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix),
                      request, key=request.data.session_id)  # fmt: skip
        await events.wait_for(finished(topic_prefix), within=60)
        fix = next(c for c in executors.commands if c.step is Step.FIX_COMPILATION_ERRORS)
        assert fix.previous_errors == "test/...:12: undefined function build/1"
        assert fix.fix_attempt == 1

    doc = await mongo_db["sessions"].find_one({"_id": request.data.session_id})
    assert doc["status"] == "complete"
    assert steps_of(doc) == ["initialize", "prepare_project", "generate_tests_and_fixtures",
                             "run_tests", "fix_compilation_errors", "run_tests",
                             "finalize"]  # fmt: skip
    # The emptied outbox of a finished session rides the next document write (CTS_DOCUMENT_DELAY_S).
    assert await outbox_emptied(mongo_db, request.data.session_id, within=5.0)
    done = events.on(topic(SESSION_FINISHED, topic_prefix))
    assert len(done) == 1
    assert done[0]["data"]["status"] == "complete"
    finalize = sample_data(Step.FINALIZE)
    assert isinstance(finalize, FinalizeData)
    assert done[0]["data"]["outcome"]["commit_sha"] == finalize.commit_sha
    assert done[0]["data"]["outcome"]["fix_attempts"] == 1


async def test_expect_none_skips_run_tests(
    stack: Endpoints, topic_prefix: str, namespace: str, orchestrator: FastStream, mongo_db: Any
) -> None:
    request = session_requested(options={"expect": "none"})
    async with (
        Collector(stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, topic_prefix)) as events,
        FakeExecutors(
            stack.kafka_bootstrap_servers, topic_prefix=topic_prefix, group_prefix=namespace
        ),
    ):
        await publish(stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix),
                      request, key=request.data.session_id)  # fmt: skip
        await events.wait_for(finished(topic_prefix), within=60)
    doc = await mongo_db["sessions"].find_one({"_id": request.data.session_id})
    assert steps_of(doc) == ["initialize", "generate_tests_and_fixtures", "finalize"]
    assert doc["status"] == "complete"


async def test_exhausted_fix_attempts_and_exhausted_retries_fail_with_a_reason(
    stack: Endpoints, topic_prefix: str, namespace: str, orchestrator: FastStream, mongo_db: Any
) -> None:
    never_green = session_requested(options={"max_fix_attempts": 1})
    flaky_git = session_requested()

    def script(command: StepRequestedData, seen_before: int) -> StepOutcome | None:
        if command.session_id == never_green.data.session_id and command.step is Step.RUN_TESTS:
            return StepOutcome.error("2 tests passed in red mode")
        if command.session_id == flaky_git.data.session_id and command.step is Step.INITIALIZE:
            return StepOutcome.transient("git remote unreachable")
        return None

    async with (
        Collector(stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, topic_prefix)) as events,
        FakeExecutors(stack.kafka_bootstrap_servers, topic_prefix=topic_prefix,
                      group_prefix=namespace, script=script),
    ):  # fmt: skip
        for request in (never_green, flaky_git):
            await publish(stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix),
                          request, key=request.data.session_id)  # fmt: skip
        await events.wait_for(finished(topic_prefix, 2), within=60)

    by_id = {
        e["data"]["session_id"]: e["data"] for e in events.on(topic(SESSION_FINISHED, topic_prefix))
    }
    assert by_id[never_green.data.session_id]["status"] == "failed"
    assert by_id[never_green.data.session_id]["reason"] == (
        "the tests still do not meet the 'red' expectation after 1 fix attempt(s): "
        "2 tests passed in red mode"
    )
    assert by_id[flaky_git.data.session_id]["reason"] == (
        "Initialize did not succeed after 3 attempts (temporary failures): git remote unreachable"
    )
    flaky = await mongo_db["sessions"].find_one({"_id": flaky_git.data.session_id})
    assert steps_of(flaky) == ["initialize"] * 3


async def test_duplicates_change_nothing_and_strangers_are_dead_lettered(
    stack: Endpoints, topic_prefix: str, namespace: str, orchestrator: FastStream, mongo_db: Any
) -> None:
    request = session_requested()
    session_id = request.data.session_id
    bootstrap = stack.kafka_bootstrap_servers
    requested_topic = topic(SESSION_REQUESTED, topic_prefix)
    completed_topic = topic(STEP_COMPLETED, topic_prefix)
    async with (
        Collector(bootstrap, topic(SESSION_FINISHED, topic_prefix), completed_topic,
                  topic(DEADLETTER, topic_prefix)) as events,
        FakeExecutors(bootstrap, topic_prefix=topic_prefix, group_prefix=namespace),
    ):  # fmt: skip
        await publish(bootstrap, requested_topic, request, key=session_id)
        await publish(bootstrap, requested_topic, request, key=session_id)  # same request again
        await events.wait_for(finished(topic_prefix), within=60)

        # Replay every completion of the session: each is a duplicate now.
        completions = events.on(completed_topic)
        for completion in completions:
            await publish(
                bootstrap,
                completed_topic,
                json.dumps(completion).encode(),
                key=session_id,
            )
        stranger = dict(completions[0])
        stranger["data"] = {**completions[0]["data"], "account_id": "intruder"}
        unknown = dict(completions[0])
        unknown["data"] = {**completions[0]["data"], "session_id": "no-such-session"}
        for bad in (stranger, unknown):
            await publish(bootstrap, completed_topic, json.dumps(bad).encode(), key=session_id)
        await events.wait_for(
            lambda e: len([1 for t, _ in e if t.endswith("deadletter.v1")]) >= 2, within=30
        )

    assert await mongo_db["sessions"].count_documents({}) == 1
    doc = await mongo_db["sessions"].find_one({"_id": session_id})
    assert len(doc["interactions"]) == 5
    assert len(events.on(topic(SESSION_FINISHED, topic_prefix))) == 1
    letters = events.on(topic(DEADLETTER, topic_prefix))
    assert sorted(letter["reason"] for letter in letters) == [
        f"unknown session {session_id} for this account and project",
        "unknown session no-such-session for this account and project",
    ]
    assert all(r["data"]["status"] == ResultStatus.OK.value for r in completions)
