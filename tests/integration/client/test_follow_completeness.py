"""`cts follow` prints every event of a session, once, in order, however the publishing
overlaps its start: against the real broker, with the renderer the CLI uses."""

from __future__ import annotations

import asyncio
import io
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console

from cts_client import render
from cts_client.follow import SessionEvent, follow
from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_testing.stack import Endpoints

RED_SESSION = [  # (step, the executor's topic, status, fix round)
    ("initialize", GIT_STEP_REQUESTED, "ok", 0),
    ("prepare_project", TESTS_STEP_REQUESTED, "ok", 0),
    ("generate_tests_and_fixtures", AGENT_STEP_REQUESTED, "ok", 0),
    ("run_tests", TESTS_STEP_REQUESTED, "error", 0),
    ("fix_compilation_errors", AGENT_STEP_REQUESTED, "ok", 1),
    ("run_tests", TESTS_STEP_REQUESTED, "ok", 1),
    ("finalize", GIT_STEP_REQUESTED, "ok", 1),
]
SESSIONS = 40
AT_ONCE = 8


def session_events(session_id: str, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """What the orchestrator and the executors publish for one session, in causal order."""
    events: list[tuple[str, dict[str, Any]]] = []
    for n, (step, executor, status, fix) in enumerate(RED_SESSION, 1):
        ids = {"session_id": session_id, "interaction_id": f"{session_id}.{n}", "step": step}
        command = {**ids, "attempt": 1, "fix_attempt": fix}
        answer = {**ids, "status": status, "summary": f"step {n} [{status}]"}
        events.append((topic(executor, prefix), command))
        events.append((topic(STEP_COMPLETED, prefix), answer))
    finished = {"session_id": session_id, "status": "complete", "outcome": {"duration_s": 1.5}}
    events.append((topic(SESSION_FINISHED, prefix), finished))
    return [(name, {"subject": session_id, "data": data}) for name, data in events]


def rendered(events: list[SessionEvent]) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    for event in events:
        render.print_event(console, event)
    return out.getvalue()


def expected_output(session_id: str, prefix: str) -> str:
    kinds = {
        topic(STEP_COMPLETED, prefix): "completed",
        topic(SESSION_FINISHED, prefix): "finished",
    }
    return rendered(
        [
            SessionEvent(kinds.get(name, "requested"), event["data"])
            for name, event in session_events(session_id, prefix)
        ]
    )


async def followed(bootstrap: str, session_id: str, prefix: str, **options: Any) -> str:
    seen = [
        event
        async for event in follow(bootstrap, session_id, prefix=prefix, timeout_s=30, **options)
    ]
    return rendered(seen)


@pytest.fixture
async def producer(stack: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers, linger_ms=0)
    await kafka.start()
    yield kafka
    await kafka.stop()


async def publish_session(
    producer: AIOKafkaProducer, session_id: str, prefix: str, gap_s: Callable[[], float]
) -> None:
    """Each event once the one before it is written, as in a live session, plus the duplicates
    a sweeper re-publish and a redelivered answer produce."""
    events = session_events(session_id, prefix)
    duplicated = [*events[:4], events[2], events[3], *events[4:]]
    for name, event in duplicated:
        await producer.send_and_wait(name, json.dumps(event).encode(), key=session_id.encode())
        await asyncio.sleep(gap_s())


async def test_events_written_while_follow_looks_up_its_start_are_printed(
    stack: Endpoints,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reported race, made certain: the whole session is written right after follow's
    time lookup, on partitions that held nothing before."""
    session_id = str(uuid.uuid4())
    original = AIOKafkaConsumer.offsets_for_times

    async def lookup_then_publish(self: AIOKafkaConsumer, *args: Any) -> Any:
        found = await original(self, *args)
        await publish_session(producer, session_id, topic_prefix, lambda: 0)
        return found

    monkeypatch.setattr(AIOKafkaConsumer, "offsets_for_times", lookup_then_publish)
    printed = await followed(stack.kafka_bootstrap_servers, session_id, topic_prefix)
    assert printed == expected_output(session_id, topic_prefix)


async def test_follow_started_while_sessions_publish_prints_everything_in_order(
    stack: Endpoints, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    """Many sessions, each followed from the moment it is requested (lookback 0, so nothing
    published before is owed) while its events are written 0-250 ms later, 0-8 ms apart,
    eight sessions at a time on shared partitions."""
    rng = random.Random(22)
    bootstrap = stack.kafka_bootstrap_servers
    wrong: list[str] = []

    async def one(n: int) -> None:
        session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        delay, gap = rng.uniform(0, 0.25), rng.uniform(0, 0.008)
        follower = asyncio.create_task(followed(bootstrap, session_id, topic_prefix, lookback_s=0))
        await asyncio.sleep(delay)
        await publish_session(producer, session_id, topic_prefix, lambda: rng.uniform(0, gap))
        printed = await follower
        if printed != expected_output(session_id, topic_prefix):
            wrong.append(f"session {n} (start {delay * 1000:.0f} ms):\n{printed}")

    for first in range(0, SESSIONS, AT_ONCE):
        await asyncio.gather(*[one(n) for n in range(first, first + AT_ONCE)])
    assert not wrong, f"{len(wrong)} of {SESSIONS} followed wrongly:\n" + "\n".join(wrong[:3])
