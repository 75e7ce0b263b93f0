"""Soak: 200 sessions through two real orchestrator processes, executors (the real harness,
scripted work) with random delays and 5% injected transient failures.

Whether an execution fails is a pure function of (session, step, attempt), so the exact
interaction list every session must end with — the retries included — is computed up front;
the delays are random. Every session must complete with exactly that list, each interaction
executed once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_runtime.executor import StepOutcome
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import publish
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.harness import (
    RED,
    fresh_topics,
    observer,
    service_env,
    wait_finished,
)
from tests.reliability.verdicts import (
    Expected,
    read_session,
    report,
    verify,
)

SESSIONS = int(os.environ.get("CTS_RELIABILITY_SOAK_SESSIONS", "200"))
FAILURE_RATE = 0.05
MAX_STEP_RETRIES = 2  # the orchestrator's default


def transient(session_id: str, step: str, attempt: int) -> bool:
    """5% of first tries fail, and of retries — except the last one a step is allowed, so
    every session completes (a transient failure is transient); exhaustion has its own tests."""
    if attempt > MAX_STEP_RETRIES:
        return False
    digest = hashlib.sha256(f"soak/{session_id}/{step}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < FAILURE_RATE


def expected_interactions(session_id: str) -> tuple[list[tuple[str, int, str]], str]:
    """(step, attempt, status) in order, and how the session ends."""
    expected = []
    for step in RED:
        attempt = 1
        while transient(session_id, step, attempt):
            expected.append((step, attempt, "transient"))
            if attempt > MAX_STEP_RETRIES:
                return expected, "failed"
            attempt += 1
        expected.append((step, attempt, "ok"))
    return expected, "complete"


def script(command: StepRequestedData, seen_before: int) -> StepOutcome | None:
    if transient(command.session_id, command.step.value, command.attempt):
        return StepOutcome.transient(f"injected transient failure of {command.step.value}")
    return None  # the default ok outcome


@pytest.fixture
async def prefix(stack: Endpoints) -> AsyncIterator[str]:
    async with fresh_topics(stack, "soak", partitions=6) as name:
        yield name


async def test_two_hundred_sessions_with_delays_and_transient_failures(
    stack: Endpoints, prefix: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    env = service_env(stack, prefix, CTS_MAX_STEP_RETRIES=str(MAX_STEP_RETRIES))
    requests = [session_requested(request_id=f"soak-{n}") for n in range(SESSIONS)]
    plans = {r.data.session_id: expected_interactions(r.data.session_id) for r in requests}
    injected = sum(s == "transient" for plan, _ in plans.values() for _, _, s in plan)
    assert injected > 0, "the seeded failures hit nothing: the test would prove less"
    assert {end for _, end in plans.values()} == {"complete"}
    orchestrators = [
        ServiceProcess(
            "cts_orchestrator",
            {**env, "CTS_INSTANCE_ID": f"orch-{n}"},
            tmp_path / f"orchestrator-{n}.log",
        ).start()
        for n in range(2)
    ]
    try:
        async with (
            observer(stack, prefix) as events,
            database(stack, env["CTS_MONGODB_DATABASE"]) as db,
            FakeExecutors(
                stack.kafka_bootstrap_servers,
                topic_prefix=prefix,
                group_prefix=env["CTS_GROUP_PREFIX"],
                script=script,
                delay=(0.0, 0.05),
                kafka=stack.kafka_fields(),
            ) as executors,
        ):
            await asyncio.gather(
                *[
                    publish(
                        stack.kafka_bootstrap_servers,
                        topic(SESSION_REQUESTED, prefix),
                        r,
                        key=r.data.session_id,
                        security=stack.kafka_options("client"),
                    )
                    for r in requests
                ]
            )
            try:
                await wait_finished(events, plans, within=240)
            except AssertionError:
                logs = "\n".join(o.log_tail(40) for o in orchestrators)
                raise AssertionError(f"not every session finished\n{logs}") from None
            expected = {
                sid: Expected(steps=[s for s, _, _ in plan], status=end)
                for sid, (plan, end) in plans.items()
            }
            verdicts = await verify(db, events, expected, settle_s=2)
            docs = {sid: await read_session(db, sid) for sid in plans}
            stored = await db["sessions"].count_documents({})
    finally:
        for orchestrator in orchestrators:
            orchestrator.stop()

    wrong = []
    for sid, (plan, end) in plans.items():
        doc = docs[sid]
        assert doc is not None
        got = [(i["step"], i["attempt"], i["result"]["status"]) for i in doc["interactions"]]
        if got != plan or doc["status"] != end:
            wrong.append(f"{sid}: {got} {doc['status']}, expected {plan} {end}")
    assert not wrong, "\n".join(wrong[:20])
    runs = Counter(c.interaction_id for c in executors.commands)
    assert max(runs.values()) == 1, "an interaction was executed twice"
    assert len(runs) == sum(len(plan) for plan, _ in plans.values())
    assert stored == SESSIONS
    ends = Counter(end for _, end in plans.values())
    tails = [o.log_tail(2000) for o in orchestrators]
    report(
        f"soak: {SESSIONS} sessions, 2 orchestrators, 5% transient",
        verdicts,
        started,
        injected_transients=injected,
        executions=len(runs),
        expected_ends=dict(ends),
        replicas_that_worked=sum("result recorded" in tail for tail in tails),
    )
