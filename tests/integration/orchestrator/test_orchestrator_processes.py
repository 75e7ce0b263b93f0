"""The orchestrator as real processes: a SIGKILL between recording and publishing loses
nothing, and two replicas in one group drive many sessions without doing anything twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import Collector, publish
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints

EXPECTED_RED = [
    "initialize", "prepare_project", "generate_tests_and_fixtures", "run_tests", "finalize",
]  # fmt: skip


@pytest.fixture
def orchestrator_env(stack: Endpoints, namespace: str, topic_prefix: str) -> dict[str, str]:
    return {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": stack.mongodb_uri,
        "CTS_MONGODB_DATABASE": f"cts_{namespace}",
        "CTS_TOPIC_PREFIX": topic_prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_SWEEP_INTERVAL_S": "0.5",
        "CTS_OUTBOX_GRACE_S": "1",
    }


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for proc in started:
        proc.stop()


async def test_sigkill_between_record_and_publish_then_restart_completes(
    stack: Endpoints, namespace: str, topic_prefix: str, mongo_db: Any,
    orchestrator_env: dict[str, str], processes: list[ServiceProcess], tmp_path: Path,
) -> None:  # fmt: skip
    request = session_requested()
    crashing = ServiceProcess(
        "cts_orchestrator", {**orchestrator_env, "CTS_FAULT_INJECTION": "crash-after-record"},
        tmp_path / "crashing.log",
    ).start()  # fmt: skip
    processes.append(crashing)
    async with Collector(
        stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, topic_prefix)
    ) as events:
        await publish(stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix),
                      request, key=request.data.session_id)  # fmt: skip
        exit_code = await asyncio.to_thread(crashing.wait, 60)
        assert exit_code == -9, crashing.log_tail()
        recorded = await mongo_db["sessions"].find_one({"_id": request.data.session_id})
        assert recorded is not None
        assert [item["kind"] for item in recorded["outbox"]] == ["command"], (
            "recorded, not published"
        )

        healthy = ServiceProcess(
            "cts_orchestrator", orchestrator_env, tmp_path / "healthy.log"
        ).start()
        processes.append(healthy)
        async with FakeExecutors(stack.kafka_bootstrap_servers, topic_prefix=topic_prefix,
                                 group_prefix=namespace) as executors:  # fmt: skip
            await events.wait_for(lambda e: len(e) >= 1, within=90)
        assert executors.seen[(request.data.session_id, "initialize")] == 1

    doc = await mongo_db["sessions"].find_one({"_id": request.data.session_id})
    assert doc["status"] == "complete", healthy.log_tail()
    assert [i["step"] for i in doc["interactions"]] == EXPECTED_RED


async def _consuming(process: ServiceProcess, name: str, within: float = 60) -> None:
    """Until ``process`` has been assigned partitions of topic ``name`` (its log says so)."""
    wanted = f"topic='{name}'"
    deadline = asyncio.get_running_loop().time() + within
    while not any(
        "assigned to partitions" in line and wanted in line
        for line in process.log_tail(2000).splitlines()
    ):
        assert process.alive(), process.log_tail()
        assert asyncio.get_running_loop().time() < deadline, process.log_tail()
        await asyncio.sleep(0.2)


async def test_two_replicas_drive_fifty_sessions_each_exactly_once(
    stack: Endpoints, namespace: str, topic_prefix: str, mongo_db: Any,
    orchestrator_env: dict[str, str], processes: list[ServiceProcess], tmp_path: Path,
) -> None:  # fmt: skip
    requested = topic(SESSION_REQUESTED, topic_prefix)
    for n in range(2):
        processes.append(
            ServiceProcess("cts_orchestrator", orchestrator_env, tmp_path / f"orch{n}.log").start()
        )
        # One after the other, each holding partitions of both of its topics before the
        # sessions are published: a replica still joining would find its share of the work
        # already done by the other (with a window of many messages, in a second or two).
        await _consuming(processes[-1], requested)
        await _consuming(processes[-1], topic(STEP_COMPLETED, topic_prefix))
    requests = [session_requested(request_id=f"bulk-{i}") for i in range(50)]
    async with (
        Collector(stack.kafka_bootstrap_servers, topic(SESSION_FINISHED, topic_prefix)) as events,
        FakeExecutors(stack.kafka_bootstrap_servers, topic_prefix=topic_prefix,
                      group_prefix=namespace, delay=(0.0, 0.05)) as executors,
    ):  # fmt: skip
        await asyncio.gather(*[
            publish(stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix), r,
                    key=r.data.session_id)
            for r in requests
        ])  # fmt: skip
        await events.wait_for(lambda e: len(e) >= 50, within=180)
        await asyncio.sleep(1)  # a duplicate finish, if any, would arrive now

    finished_ids = Counter(
        e["data"]["session_id"] for e in events.on(topic(SESSION_FINISHED, topic_prefix))
    )
    assert set(finished_ids) == {r.data.session_id for r in requests}
    assert max(finished_ids.values()) == 1
    docs = await mongo_db["sessions"].find({}).to_list()
    assert len(docs) == 50
    assert all(d["status"] == "complete" for d in docs)
    assert all([i["step"] for i in d["interactions"]] == EXPECTED_RED for d in docs)
    assert max(executors.seen.values()) == 1, "no command executed twice"
    logs = [p.log_tail(400) for p in processes]
    assert all("result recorded" in log for log in logs), "both replicas took part"
