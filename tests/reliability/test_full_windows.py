"""SIGKILL each service with a full window in flight: several sessions' messages running at
once, some finished and committed, some finished behind an unfinished one, some running.
Every session still ends complete with each step's effect once (one commit, every interaction
recorded once with its executor's first answer, SessionFinished once).

The crashing service runs two messages at once (``CTS_MAX_IN_FLIGHT=2``; the test-runner
two slots) and SIGKILLs itself the moment its window is full again after one of its messages
finished (``CTS_FAULT_KILL_AT_FULL_WINDOW``, a test-only hook). Its successor starts at once;
a short Kafka session timeout (6 s) and agent claim lease (8 s) keep the hand-over quick.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.conversations import conversations_for
from tests.reliability.fleet import Fleet, fleet
from tests.reliability.harness import RED, ROLES, observer, session_id, wait_finished
from tests.reliability.verdicts import Expected, report, verify

WITHOUT_TESTS = ["initialize", "generate_tests_and_fixtures", "finalize"]
QUICK_HAND_OVER = {
    "CTS_KAFKA_SESSION_TIMEOUT_S": "6",
    "CTS_CLAIM_LEASE_S": "8",
    "CTS_CLAIM_HEARTBEAT_S": "2",
}
SMALL_WINDOW = {"CTS_MAX_IN_FLIGHT": "2", "CTS_TEST_CONCURRENCY": "2"}
KILLED = "fault injection: SIGKILL with a full window in flight"


async def request_burst(services: Fleet, request_ids: list[str], expect: str) -> dict[str, Path]:
    """Every request at once (one producer), so the windows fill; each session on a
    repository of its own. Returns each session's bare repository."""
    bares, events = {}, []
    for request_id in request_ids:
        url, bares[session_id(request_id)] = services.repository(request_id)
        events.append(services.request(request_id, url, expect=expect))
    producer = AIOKafkaProducer(bootstrap_servers=services.endpoints.kafka_bootstrap_servers,
                                enable_idempotence=True,
                                **services.endpoints.kafka_options("client"))  # fmt: skip
    try:
        await producer.start()
        sent = [
            await producer.send(topic(SESSION_REQUESTED, services.prefix),
                                e.model_dump_json().encode(), key=e.data.session_id.encode())
            for e in events
        ]  # fmt: skip
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return bares


@pytest.mark.parametrize("role", ["orchestrator", "git", "agent", "tests"])
async def test_a_service_killed_with_a_full_window_in_flight(
    stack: Endpoints, tmp_path: Path, role: str
) -> None:
    started = time.monotonic()
    expect, sessions = ("red", 4) if role == "tests" else ("none", 6)
    request_ids = [f"full-{role}-{n}" for n in range(sessions)]
    sids = [session_id(r) for r in request_ids]
    script: list[dict[str, Any]] = []
    for sid in sids:
        script += conversations_for(sid, generate_delay_s=1, resumable=True)
    others = [r for r in ROLES if r != role]
    async with fleet(stack, tmp_path, script, roles=others, env=QUICK_HAND_OVER) as services:
        crashing = services.start(role, **SMALL_WINDOW, CTS_FAULT_KILL_AT_FULL_WINDOW="true")
        await services.ready([crashing])
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            bares = await request_burst(services, request_ids, expect)
            exit_code = await asyncio.to_thread(crashing.wait, 120)
            assert exit_code == -9, services.logs()
            assert KILLED in crashing.log_tail(2000), crashing.log_tail()
            successor = services.start(role, **SMALL_WINDOW)
            await wait_finished(events, sids, within=240, fleet=services)
            steps = RED if expect == "red" else WITHOUT_TESTS
            verdicts = await verify(db, events, {s: Expected(bares[s], steps) for s in sids})
        calls = await services.model_requests()
    refused = [c for c in calls if c["status"] != 200]
    assert not refused, f"a model call went past the script: {refused[:1]}"
    report(f"SIGKILL {role} with a full window", verdicts, started,
           successor_worked="step started" in successor.log_tail(4000)
           or "result recorded" in successor.log_tail(4000))  # fmt: skip
