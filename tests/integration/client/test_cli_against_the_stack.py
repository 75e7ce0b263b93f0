"""The `cts` CLI against the real broker and store: publish, follow, and tenant-scoped reads."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from cts_client.cli import app
from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_core import advance, new_session
from cts_orchestrator.app import build_app
from cts_store import SessionStore
from cts_testing.factories import session_request
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import Collector
from cts_testing.session_builders import DEADLINES, T0
from cts_testing.stack import Endpoints


@pytest.fixture
def cli_env(
    stack: Endpoints, namespace: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTS_KAFKA_BOOTSTRAP_SERVERS", stack.kafka_bootstrap_servers)
    monkeypatch.setenv("CTS_MONGODB_URI", stack.mongodb_uri)
    monkeypatch.setenv("CTS_MONGODB_DATABASE", f"cts_{namespace}")
    monkeypatch.setenv("CTS_TOPIC_PREFIX", topic_prefix)


@pytest.mark.usefixtures("cli_env")
async def test_request_publishes_and_follow_reports_completion(
    stack: Endpoints, namespace: str, topic_prefix: str, mongo_db: Any
) -> None:
    from cts_orchestrator.settings import OrchestratorSettings  # noqa: PLC0415

    runner = CliRunner()
    orchestrator = build_app(OrchestratorSettings())
    await orchestrator.start()
    try:
        async with (
            Collector(
                stack.kafka_bootstrap_servers, topic(SESSION_REQUESTED, topic_prefix)
            ) as seen,
            FakeExecutors(
                stack.kafka_bootstrap_servers, topic_prefix=topic_prefix, group_prefix=namespace
            ),
        ):
            args = [
                "request",
                "--account",
                "acme",
                "--project",
                "shop",
                "--module",
                "MyApp.Accounts.UserRegistration",
                "--type",
                "service",
                "--repo",
                "https://git.example/shop.git",
                "--request-id",
                "cli-test-1",
            ]
            published = await asyncio.to_thread(runner.invoke, app, args)
            assert published.exit_code == 0, published.output
            session_id = published.stdout.strip()
            await seen.wait_for(lambda e: len(e) == 1)
            assert seen.events[0][1]["data"]["request_id"] == "cli-test-1"
            # A real process: its output is the command's alone, not the in-process services' logs.
            followed = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "cts_client", "follow", session_id, "--timeout", "60"],
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
    finally:
        await orchestrator.stop()
    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert "Session complete" in followed.stdout
    assert "generate_tests_and_fixtures" in followed.stdout


@pytest.mark.usefixtures("cli_env")
async def test_sessions_are_only_visible_to_their_account(mongo_db: Any) -> None:
    store = SessionStore(mongo_db)
    await store.ensure_indexes()
    mine = advance(
        new_session(session_request(account_id="acme"), now=T0), now=T0, deadlines=DEADLINES
    )
    await store.create_or_get(mine)
    runner = CliRunner()

    listed = await asyncio.to_thread(
        runner.invoke, app, ["sessions", "list", "--account", "acme", "--project", "shop", "--json"]
    )
    shown = await asyncio.to_thread(
        runner.invoke, app, ["sessions", "show", mine.id, "--account", "acme", "--project", "shop"]
    )
    guessed = await asyncio.to_thread(
        runner.invoke,
        app,
        ["sessions", "show", mine.id, "--account", "intruder", "--project", "shop"],
    )
    others = await asyncio.to_thread(
        runner.invoke,
        app,
        ["sessions", "list", "--account", "intruder", "--project", "shop", "--json"],
    )

    assert [s["id"] for s in json.loads(listed.output)] == [mine.id]
    assert shown.exit_code == 0
    assert "initialize" in shown.output
    assert guessed.exit_code == 1
    assert "not found" in guessed.output
    assert json.loads(others.output) == []
