"""The git-committer app on the real broker: Initialize and Finalize answered on
``step.completed``, a redelivered Finalize answered alike, the workspace removed when the
session finishes; a command whose URL carries a credential dead-lettered, and no credential
in any event or log line."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from cts_contracts import Outcome, SessionFinished, SessionFinishedData, StepRequested
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import (
    DEADLETTER,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    topic,
)
from cts_git_committer.app import build_app
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints

from .conftest import BRANCH, Remote, Session, committer_settings

TOKEN = "glpat-Kafka7okenValue123456"


def _event(command: StepRequestedData) -> StepRequested:
    return StepRequested(source="cts/tests", subject=command.session_id, data=command)


def _finished(command: StepRequestedData) -> SessionFinished:
    now = datetime.now(UTC)
    data = SessionFinishedData(
        account_id=command.account_id, project_id=command.project_id,
        session_id=command.session_id, request_id="req-1", status="complete",
        outcome=Outcome(), started_at=now, finished_at=now,
    )  # fmt: skip
    return SessionFinished(source="cts/tests", subject=command.session_id, data=data)


async def test_a_session_through_the_broker(
    stack: Endpoints, topic_prefix: str, namespace: str, remote: Remote, workspace_root: Path
) -> None:
    bootstrap = stack.kafka_bootstrap_servers
    settings = committer_settings(workspace_root, kafka_bootstrap_servers=bootstrap,
                                  topic_prefix=topic_prefix, group_prefix=namespace,
                                  git_network_attempts=2, log_format="json")  # fmt: skip
    app = build_app(settings)
    session = Session(remote.url)
    leaky = Session(f"https://dave:{TOKEN}@127.0.0.1:9/shop.git")  # nothing listens on 9
    commands, results = topic(GIT_STEP_REQUESTED, topic_prefix), topic(STEP_COMPLETED, topic_prefix)
    letters = topic(DEADLETTER, topic_prefix)
    finalize = session.finalize()

    def answers(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [value["data"] for name, value in events if name == results]

    with capture_logs() as logs:
        async with Collector(bootstrap, results, letters) as collected:
            await app.start()
            try:
                for command in (session.initialize, leaky.initialize):
                    await publish(bootstrap, commands, _event(command), key=command.session_id)
                await collected.wait_for(
                    lambda e: len(answers(e)) == 1 and len(collected.on(letters)) == 1, within=60
                )
                session.write_session_files(workspace_root)
                for _ in range(2):  # the second is a redelivery of the same interaction
                    await publish(bootstrap, commands, _event(finalize), key=finalize.session_id)
                await collected.wait_for(lambda e: len(answers(e)) == 3, within=60)
                assert session.workspace(workspace_root).is_dir()
                await publish(bootstrap, topic(SESSION_FINISHED, topic_prefix),
                              _finished(finalize), key=finalize.session_id)  # fmt: skip
                await _wait_until_removed(session.workspace(workspace_root))
            finally:
                await app.stop()

    by_session: dict[str, list[dict[str, Any]]] = {}
    for answer in answers(collected.events):
        by_session.setdefault(answer["session_id"], []).append(answer)
    init, done, again = by_session[session.initialize.session_id]
    assert (init["status"], init["data"]["branch"]) == ("ok", BRANCH)
    assert init["data"]["base_sha"] == remote.tip("main")
    assert done["status"] == "ok"
    assert done["data"]["commit_sha"] == remote.tip(BRANCH)
    assert again == done
    assert leaky.initialize.session_id not in by_session, "refused at the contract, not run"
    [letter] = collected.on(letters)
    assert "must not carry credentials" in letter["reason"], letter["reason"]
    assert "https://***@127.0.0.1:9/shop.git" in letter["payload_excerpt"]
    printed = json.dumps(collected.events) + repr(logs)
    assert TOKEN not in printed
    assert "dave" not in printed
    assert not (workspace_root / ".git-committer" / "repos" / "acme" / "shop"
                / f"{session.initialize.session_id}.git").exists()  # fmt: skip


async def _wait_until_removed(path: Path, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while await asyncio.to_thread(path.exists):
        assert time.monotonic() < deadline, f"{path} was not removed"
        await asyncio.sleep(0.1)
