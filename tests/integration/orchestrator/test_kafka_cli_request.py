"""A client needs nothing but a Kafka CLI and the schema: Kafka's own console producer
publishes the README's example request and the orchestrator starts the session."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

from faststream import FastStream

from cts_contracts.naming import session_id_for
from cts_contracts.topics import GIT_STEP_REQUESTED, SESSION_REQUESTED, topic
from cts_testing.kafka import Collector
from cts_testing.stack import Endpoints, repo_root

EXAMPLE = repo_root() / "examples" / "requests" / "user_registration.red.json"


async def test_console_producer_request_starts_a_session(
    stack: Endpoints, topic_prefix: str, orchestrator: FastStream, mongo_db: Any
) -> None:
    line = json.dumps(json.loads(EXAMPLE.read_text()), separators=(",", ":"))
    session_id = session_id_for("acme", "shop", "user-registration-red-1")
    classpath = str(Path(repo_root(), ".cache", "kafka", "lib", "*"))
    command = [
        "java",
        "-cp",
        classpath,
        "org.apache.kafka.tools.ConsoleProducer",
        "--bootstrap-server",
        stack.kafka_bootstrap_servers,
        "--topic",
        topic(SESSION_REQUESTED, topic_prefix),
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=|",
    ]
    async with Collector(
        stack.kafka_bootstrap_servers, topic(GIT_STEP_REQUESTED, topic_prefix)
    ) as out:
        done = await asyncio.to_thread(
            subprocess.run,
            command,
            input=f"{session_id}|{line}\n",  # keyed by the session id, as the README says
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        await out.wait_for(lambda e: len(e) == 1, within=30)

    assert out.events[0][1]["data"]["session_id"] == session_id
    assert out.events[0][1]["data"]["step"] == "initialize"
    doc = await mongo_db["sessions"].find_one({"_id": session_id})
    assert (
        doc["request"]["component"]["test_file"]
        == "test/my_app/accounts/user_registration_test.exs"
    )
