"""Tenant isolation: sessions of account A are never visible or changeable through account B's
scope — in the store, through messages the orchestrator process consumes, and through the
``cts sessions list|show`` CLI (a real process), also when B guesses ids.

Each refusal has a positive control (A's own scope sees and shows the session), so a check
that passes because nothing works cannot hide here.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from cts_contracts import ResultStatus, SessionStatus, StepCompleted, StepCompletedData
from cts_contracts.topics import DEADLETTER, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_core import Scope
from cts_store import SessionStore
from cts_store.documents import from_document
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import publish
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.harness import (
    events_of,
    fresh_topics,
    observer,
    service_env,
    wait_finished,
    wait_until,
)
from tests.reliability.verdicts import (
    Expected,
    report,
    verify,
)

A = Scope(account_id="acme", project_id="shop")
A_OTHER_PROJECT = Scope(account_id="acme", project_id="other")
B = Scope(account_id="rival", project_id="shop")


async def _everything(db: Any) -> dict[str, Any]:
    """Every stored session document and every claimed version, keyed by id."""
    return {
        name: {d["_id"]: d for d in await db[name].find({}).to_list()}
        for name in ("sessions", "session_versions")
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``cts`` as a real process (its own interpreter, settings from the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "cts_client", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def prefix(stack: Endpoints) -> AsyncIterator[str]:
    async with fresh_topics(stack, "tenant", partitions=3) as name:
        yield name


async def test_another_accounts_sessions_are_invisible_and_unchangeable(
    stack: Endpoints, prefix: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    env = service_env(stack, prefix)
    # The same request id in every scope: ids derive from the scope, so nothing collides.
    requests = [
        session_requested(account_id=s.account_id, project_id=s.project_id, request_id=rid)
        for s, rid in [
            (A, "shared-id"),
            (A, "a-2"),
            (A, "a-3"),
            (A_OTHER_PROJECT, "shared-id"),
            (B, "shared-id"),
        ]
    ]
    mine = [
        r.data.session_id
        for r in requests
        if r.data.account_id == "acme" and r.data.project_id == "shop"
    ]
    theirs = requests[-1].data.session_id
    assert len({r.data.session_id for r in requests}) == len(requests)
    orchestrator = ServiceProcess("cts_orchestrator", env, tmp_path / "orchestrator.log").start()
    try:
        async with (
            observer(stack, prefix) as events,
            database(stack, env["CTS_MONGODB_DATABASE"]) as db,
            FakeExecutors(
                stack.kafka_bootstrap_servers,
                topic_prefix=prefix,
                group_prefix=env["CTS_GROUP_PREFIX"],
                kafka=stack.kafka_fields(),
            ),
        ):
            for request in requests:
                await publish(
                    stack.kafka_bootstrap_servers,
                    topic(SESSION_REQUESTED, prefix),
                    request,
                    key=request.data.session_id,
                    security=stack.kafka_options("client"),
                )
            ids = [r.data.session_id for r in requests]
            await wait_finished(events, ids, within=90)
            verdicts = await verify(db, events, dict.fromkeys(ids, Expected()))
            before = await _everything(db)

            # --- the store --------------------------------------------------------------
            store = SessionStore(db)
            for sid in mine:
                assert await store.get(A, sid) is not None  # control
                assert await store.get(B, sid) is None
                assert await store.get(A_OTHER_PROJECT, sid) is None
            listed_b = (await store.list_sessions(B)).sessions
            assert [s.id for s in listed_b] == [theirs]
            page_a = await store.list_sessions(A, limit=1)
            assert page_a.next_cursor is not None
            # A's cursor used in B's scope pages through B's sessions only.
            leaked = await store.list_sessions(B, cursor=page_a.next_cursor, limit=500)
            assert not {s.id for s in leaked.sessions} & set(mine)
            victim = from_document(before["sessions"][mine[0]])
            forged = victim.model_copy(
                update={"account_id": B.account_id, "status": SessionStatus.FAILED}
            )
            with pytest.raises(ValueError, match="tenant never change"):
                await store.claim(victim, forged)
            # A compare-and-set claim made from B's scope for A's session id is refused too.
            cancelled = forged.model_copy(update={"reason": "forged"})
            assert await store.claim(forged, cancelled) is None
            with pytest.raises(DuplicateKeyError):  # an id collision never returns A's session
                await store.create_or_get(forged.model_copy(update={"request_id": "other"}))

            # --- messages: B answers A's interaction -------------------------------------
            target = before["sessions"][mine[0]]["interactions"][-1]
            hijack = StepCompleted(
                source="cts/intruder",
                subject=mine[0],
                data=StepCompletedData(
                    account_id=B.account_id,
                    project_id=B.project_id,
                    session_id=mine[0],
                    interaction_id=target["id"],
                    step=target["step"],
                    status=ResultStatus.ERROR,
                    summary="hijacked",
                    error_message="hijacked",
                    executor="intruder",
                    started_at=datetime.now(UTC),
                    completed_at=datetime.now(UTC),
                ),
            )
            await publish(  # as B's executor (an executor principal) could
                stack.kafka_bootstrap_servers, topic(STEP_COMPLETED, prefix), hijack,
                key=mine[0], security=stack.kafka_options("agent-runner"),
            )  # fmt: skip
            await wait_until(
                lambda: events_of(events, DEADLETTER),
                within=30,
                what="the hijack to be dead-lettered",
            )
            [letter] = [v for t, v in events.events if t.endswith(DEADLETTER)]
            assert letter["reason"].startswith(f"unknown session {mine[0]}"), letter["reason"]
            assert B.account_id in letter["payload_excerpt"]
            assert await _everything(db) == before, "nothing about any session changed"
    finally:
        orchestrator.stop()

    # --- the CLI, as a real process -----------------------------------------------------
    cli_env = {k: env[k] for k in ("CTS_MONGODB_URI", "CTS_MONGODB_DATABASE")}
    listed = cli(cli_env, "sessions", "list", "--account", "rival", "--project", "shop", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)] == [theirs]
    own = cli(cli_env, "sessions", "list", "--account", "acme", "--project", "shop", "--json")
    assert sorted(s["id"] for s in json.loads(own.stdout)) == sorted(mine)  # control
    shown = cli(cli_env, "sessions", "show", mine[0], "--account", "acme", "--project", "shop")
    assert shown.returncode == 0, shown.stderr  # control
    assert "initialize" in shown.stdout
    guesses = [
        *mine,
        mine[0].upper(),
        f" {mine[0]}",
        mine[0][:8],
        ".*",
        '{"$ne": null}',
        str(uuid.uuid4()),
        requests[3].data.session_id,
    ]
    refused = await asyncio.gather(
        *[
            asyncio.to_thread(
                cli, cli_env, "sessions", "show", guess, "--account", "rival", "--project", "shop"
            )
            for guess in guesses
        ]
    )
    for guess, answer in zip(guesses, refused, strict=True):
        assert answer.returncode == 1, (guess, answer.stdout, answer.stderr)
        assert "not found" in answer.stderr, (guess, answer.stderr)
        assert "initialize" not in answer.stdout + answer.stderr
    for account, project in [
        ("acme", "shop "),
        ('{"$ne": ""}', "shop"),
        ("ACME", "shop"),
        ("acme", ".*"),
    ]:
        probe: Any = cli(
            cli_env, "sessions", "list", "--account", account, "--project", project, "--json"
        )
        assert json.loads(probe.stdout) == [], (account, project, probe.stdout)
    report(
        "tenant isolation (store, messages, CLI)",
        verdicts,
        started,
        cli_guesses_refused=len(guesses),
    )
