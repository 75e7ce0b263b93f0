"""Kafka and the MongoDB-compatible server crash (SIGKILL) and come back while sessions run.

On a private stack instance of this module (own directory and ports, started and stopped
through ``stack.sh``): the shared stack other tests use is never touched.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cts_contracts.topics import SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_testing.kafka import publish
from cts_testing.stack import PrivateStack
from tests.reliability.conftest import database
from tests.reliability.conversations import (
    conversations_for,
    scripted_turns,
)
from tests.reliability.fleet import (
    Fleet,
    fleet,
)
from tests.reliability.harness import (
    RED,
    events_of,
    observer,
    session_id,
    wait_finished,
)
from tests.reliability.verdicts import (
    Expected,
    report,
    verify,
)

SESSIONS = 4


async def _start_sessions(services: Fleet, name: str) -> dict[str, Path]:
    bares = {}
    for n in range(SESSIONS):
        url, bare = services.repository(f"{name}-{n}")
        request = services.request(f"{name}-{n}", url)
        sid = request.data.session_id
        await publish(
            services.endpoints.kafka_bootstrap_servers,
            topic(SESSION_REQUESTED, services.prefix),
            request,
            key=sid,
            security=services.endpoints.kafka_options("client"),
        )
        bares[sid] = bare
    return bares


def _script(name: str) -> list[dict[str, Any]]:
    script: list[dict[str, Any]] = []
    for n in range(SESSIONS):
        # Slow first model turns keep sessions in flight across the outage.
        script += conversations_for(session_id(f"{name}-{n}"), generate_delay_s=2.0 + n)
    return script


@pytest.mark.parametrize("server", ["kafka", "ferretdb"])
async def test_a_server_crashes_and_restarts_while_sessions_run(
    server: str, private_stack: PrivateStack, tmp_path: Path
) -> None:
    started = time.monotonic()
    endpoints = private_stack.endpoints
    async with (
        fleet(endpoints, tmp_path, _script(server)) as services,
        observer(endpoints, services.prefix) as events,
        database(endpoints, services.database) as db,
    ):
        bares = await _start_sessions(services, server)
        # Every Initialize answered: the slow Generates are in flight when the server dies.
        await events.wait_for(lambda e: len(events_of(events, STEP_COMPLETED)) >= SESSIONS, 90)
        private_stack.kill(server)
        down = time.monotonic()
        await asyncio.sleep(3)
        await asyncio.to_thread(private_stack.up)
        outage = time.monotonic() - down
        await wait_finished(events, bares, within=240, fleet=services)
        # A store outage may fail a step before its work starts (the agent-runner's claim):
        # that attempt is retried. Once a model conversation ran, it is never paid twice.
        expected = Expected(steps=RED, transient_retries=server == "ferretdb")
        verdicts = await verify(
            db, events, {s: replace(expected, bare_repo=b) for s, b in bares.items()}
        )
        calls = await services.model_requests()
        remaining = await services.remaining_turns()
    assert [c for c in calls if c["status"] != 200] == [], "no model call refused"
    assert set(remaining.values()) == {0}, "every scripted conversation played, once"
    assert len(calls) == sum(scripted_turns(_script(server)).values())
    label = {"kafka": "Kafka", "ferretdb": "FerretDB"}[server]
    report(f"{label} SIGKILL + restart mid-run", verdicts, started, down_s=f"{outage:.1f}")
