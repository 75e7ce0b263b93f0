"""All four services as separate processes on the real local stack, two real git repositories
(the Phoenix-style sample and the CodeMySpec-layout sample), real `mix test`, and the real
anthropic SDK against the scripted model server replaying the conversations of both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, MongoClient

from cts_contracts import SessionRequested
from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_demo.processes import SERVICES, service_env
from cts_demo.repository import DemoPaths
from cts_testing.factories import session_requested
from cts_testing.kafka import Collector, delete_topics, publish
from cts_testing.network import free_port, wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.scripted_llm.script import load_script, parse_script
from cts_testing.stack import Endpoints, repo_root

EXAMPLES = repo_root() / "examples"
SCRIPTS = (
    EXAMPLES / "scripts" / "user_registration.red.yaml",
    EXAMPLES / "scripts" / "stock_keeper.red.yaml",
)
USER_SCHEMA_TEST = (
    "defmodule MyApp.Accounts.UserTest do\n  use ExUnit.Case, async: true\n\n"
    '  test "a user has an id, an email and a name" do\n'
    '    assert %{id: "u1"} = struct(MyApp.Accounts.User, id: "u1", email: "e", name: "n")\n'
    "  end\nend\n"
)
USER_SCHEMA = {
    "name": "user-schema-generate",
    "match": {"contains": "(MyApp.Accounts.User)", "step": "generate_tests_and_fixtures"},
    "turns": [
        {"content": [{"type": "tool_use", "name": "write_file", "input": {
            "path": "test/my_app/accounts/user_test.exs", "content": USER_SCHEMA_TEST}}]},
        {"content": [{"type": "text", "text": "The design lists no assertions: one smoke test."}]},
    ],
}  # fmt: skip
"""For the session whose design lists no Test Assertions and allows it (expect none)."""


@dataclass
class System:
    endpoints: Endpoints
    prefix: str
    repo_url: str
    bare_repo: Path
    shelf_url: str
    shelf_repo: Path
    database: str
    llm_url: str
    processes: list[ServiceProcess]

    def logs(self) -> str:
        return "\n".join(f"--- {p.module}\n{p.log_tail(30)}" for p in self.processes)

    def model_requests(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.llm_url}/_requests", timeout=10)
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()
        return found


def bare_repository(source: Path, root: Path, name: str) -> Path:
    """``source`` committed on ``main`` of a new bare repository ``root/<name>.git``."""
    work, bare = root / f"{name}-seed", root / f"{name}.git"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("_build", "deps"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=CTS", "-c", "user.email=cts@localhost", "commit", "-q", "-m",
                  f"Sample {name}"]):  # fmt: skip
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True,
                   capture_output=True)  # fmt: skip
    shutil.rmtree(work)
    return bare


def combined_script(path: Path) -> Path:
    conversations = [USER_SCHEMA]
    for script in SCRIPTS:
        loaded = load_script(script).model_dump(mode="json", exclude_none=True)
        conversations += loaded["conversations"]
    parse_script(conversations)  # the server will accept it
    path.write_text(json.dumps({"conversations": conversations}))
    return path


@pytest.fixture(scope="session")
def system(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    root = tmp_path_factory.mktemp("e2e")
    paths = DemoPaths(root)
    bare = bare_repository(EXAMPLES / "phoenix_app", root, "my_app")
    shelf = bare_repository(EXAMPLES / "codemyspec_app", root, "shelf")
    prefix = f"e2e{uuid.uuid4().hex[:8]}."  # topics and databases outlive a run: never reuse
    asyncio.run(_topics(stack, prefix))
    port = free_port()
    env = service_env(stack, paths, f"http://127.0.0.1:{port}") | {
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": prefix.rstrip("."),
        "CTS_MONGODB_DATABASE": f"cts_{prefix.rstrip('.')}",
        "CTS_LOG_FORMAT": "console",
    }
    script = combined_script(root / "script.json")
    processes = [
        ServiceProcess(
            "cts_testing.scripted_llm",
            {},
            paths.logs / "llm.log",
            args=["--script", str(script), "--port", str(port)],
        ),
        *[ServiceProcess(name, env, paths.logs / f"{name}.log") for name in SERVICES],
    ]
    for process in processes:
        process.start()
    try:
        wait_for_port(port)
        database, llm_url = env["CTS_MONGODB_DATABASE"], f"http://127.0.0.1:{port}"
        yield System(stack, prefix, f"file://{bare}", bare, f"file://{shelf}", shelf, database,
                     llm_url, processes)  # fmt: skip
    finally:
        for process in reversed(processes):
            process.stop()
        cleaner: MongoClient[dict[str, Any]]
        with MongoClient(stack.mongodb_uri) as cleaner:
            cleaner.drop_database(env["CTS_MONGODB_DATABASE"])
        with contextlib.suppress(Exception):
            asyncio.run(delete_topics(stack.kafka_bootstrap_servers, prefix))


async def _topics(stack: Endpoints, prefix: str) -> None:
    from cts_runtime.topics_admin import ensure_topics  # noqa: PLC0415

    await ensure_topics(stack.kafka_bootstrap_servers, prefix=prefix)


@pytest.fixture
async def sessions(system: System) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        system.endpoints.mongodb_uri, tz_aware=True
    )
    yield client[system.database]["sessions"]
    await client.close()


async def run_session(
    system: System, request: SessionRequested, within: float = 240
) -> dict[str, Any]:
    bootstrap = system.endpoints.kafka_bootstrap_servers
    session_id = request.data.session_id
    async with Collector(
        bootstrap, topic(SESSION_FINISHED, system.prefix), topic(STEP_COMPLETED, system.prefix)
    ) as events:
        await publish(bootstrap, topic(SESSION_REQUESTED, system.prefix), request, key=session_id)
        try:
            await events.wait_for(
                lambda e: any(
                    v.get("subject") == session_id and t.endswith("session.finished.v1")
                    for t, v in e
                ),
                within=within,
            )
        except AssertionError:
            raise AssertionError(f"session did not finish\n{system.logs()}") from None
    return {
        "finished": [
            v["data"]
            for t, v in events.events
            if t.endswith("session.finished.v1") and v.get("subject") == session_id
        ],
        "completed": [
            v["data"]
            for t, v in events.events
            if t.endswith("step.completed.v1") and v.get("subject") == session_id
        ],
    }


def git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], check=True, capture_output=True, text=True
    ).stdout


def request_for(
    url: str, module: str, request_id: str, *, component_type: str = "service", **options: Any
) -> SessionRequested:
    return session_requested(
        account_id="e2e",
        project_id="my-app",
        request_id=request_id,
        component={"module_name": module, "type": component_type},
        repository={"url": url, "base_ref": "main", "push": True},
        options={"max_fix_attempts": 3, **options},
    )
