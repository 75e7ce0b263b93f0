"""All four services as separate processes on the real local stack, a real git repository,
real `mix test`, and the real anthropic SDK against the scripted model server."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from cts_contracts import SessionRequested
from cts_contracts.naming import branch_name
from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_demo.processes import SERVICES, service_env
from cts_demo.repository import DemoPaths, prepare_repository
from cts_testing.factories import session_requested
from cts_testing.kafka import Collector, publish
from cts_testing.network import free_port, wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints, repo_root

SCRIPT = repo_root() / "examples" / "scripts" / "user_registration.red.yaml"


@dataclass
class System:
    endpoints: Endpoints
    prefix: str
    repo_url: str
    bare_repo: Path
    database: str
    processes: list[ServiceProcess]

    def logs(self) -> str:
        return "\n".join(f"--- {p.module}\n{p.log_tail(30)}" for p in self.processes)


@pytest.fixture(scope="module")
def system(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from rich.console import Console  # noqa: PLC0415

    root = tmp_path_factory.mktemp("e2e")
    paths = DemoPaths(root)
    url = prepare_repository(paths, Console(quiet=True))
    prefix = f"e2e{uuid.uuid4().hex[:8]}."  # topics and databases outlive a run: never reuse
    asyncio.run(_topics(stack, prefix))
    port = free_port()
    env = service_env(stack, paths, f"http://127.0.0.1:{port}") | {
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": prefix.rstrip("."),
        "CTS_MONGODB_DATABASE": f"cts_{prefix.rstrip('.')}",
        "CTS_LOG_FORMAT": "console",
    }
    processes = [
        ServiceProcess(
            "cts_testing.scripted_llm",
            {},
            paths.logs / "llm.log",
            args=["--script", str(SCRIPT), "--port", str(port)],
        ),
        *[ServiceProcess(name, env, paths.logs / f"{name}.log") for name in SERVICES],
    ]
    for process in processes:
        process.start()
    try:
        wait_for_port(port)
        yield System(stack, prefix, url, paths.bare_repo, env["CTS_MONGODB_DATABASE"], processes)
    finally:
        for process in reversed(processes):
            process.stop()
        cleaner: MongoClient[dict[str, Any]]
        with MongoClient(stack.mongodb_uri) as cleaner:
            cleaner.drop_database(env["CTS_MONGODB_DATABASE"])


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


def request_for(system: System, module: str, expect: str, request_id: str) -> SessionRequested:
    return session_requested(
        account_id="e2e",
        project_id="my-app",
        request_id=request_id,
        component={"module_name": module, "type": "service"},
        repository={"url": system.repo_url, "base_ref": "main", "push": True},
        options={"expect": expect, "max_fix_attempts": 3},
    )


async def test_red_session_fixes_a_compile_error_and_commits_failing_tests(
    system: System, sessions: Any
) -> None:
    request = request_for(system, "MyApp.Accounts.UserRegistration", "red", "e2e-red")
    seen = await run_session(system, request)

    [finished] = seen["finished"]
    assert finished["status"] == "complete", f"{finished}\n{system.logs()}"
    steps = [(c["step"], c["status"]) for c in seen["completed"]]
    assert steps == [
        ("initialize", "ok"),
        ("generate_tests_and_fixtures", "ok"),
        ("run_tests", "error"),
        ("fix_compilation_errors", "ok"),
        ("run_tests", "ok"),
        ("finalize", "ok"),
    ]
    first_run = seen["completed"][2]["data"]
    assert first_run["compiled"] is False
    assert any("valid_attrs/0" in d["message"] for d in first_run["compile_errors"])
    second_run = seen["completed"][4]["data"]
    assert (second_run["compiled"], second_run["total"], second_run["passed"]) == (True, 5, 0)

    branch = branch_name("UserRegistration")
    files = git(system.bare_repo, "show", "--name-only", "--format=", branch).split()
    assert sorted(files) == [
        "test/my_app/accounts/user_registration_test.exs",
        "test/support/fixtures/accounts/user_registration_fixtures.ex",
    ]
    message = git(system.bare_repo, "log", "-1", "--format=%B", branch)
    assert f"Cts-Session: {request.data.session_id}" in message
    committed_test = git(
        system.bare_repo, "show", f"{branch}:test/my_app/accounts/user_registration_test.exs"
    )
    assert "valid_attrs()" not in committed_test
    assert finished["outcome"]["commit_sha"] == git(system.bare_repo, "rev-parse", branch).strip()

    doc = await sessions.find_one({"_id": request.data.session_id})
    assert doc["status"] == "complete"
    assert [i["step"] for i in doc["interactions"]] == [s for s, _ in steps]
    assert finished["outcome"]["usage"]["input_tokens"] > 0


async def test_green_session_on_the_implemented_component_passes_first_time(
    system: System, sessions: Any
) -> None:
    request = request_for(system, "MyApp.Accounts.UserRepository", "green", "e2e-green")
    seen = await run_session(system, request)
    [finished] = seen["finished"]
    assert finished["status"] == "complete", f"{finished}\n{system.logs()}"
    run = next(c for c in seen["completed"] if c["step"] == "run_tests")
    assert run["status"] == "ok"
    assert (run["data"]["total"], run["data"]["passed"]) == (7, 7)
    assert run["data"]["alignment"]["score"] == 1.0
    files = git(
        system.bare_repo, "show", "--name-only", "--format=", branch_name("UserRepository")
    ).split()
    assert "test/my_app/accounts/user_repository_test.exs" in files
    # The scripted generation was cut at max_tokens while writing this file: the cut call was
    # not run, and the file committed is the whole one the model then wrote in two parts.
    test_file = "test/my_app/accounts/user_repository_test.exs"
    committed = git(system.bare_repo, "show", f"{branch_name('UserRepository')}:{test_file}")
    assert committed == (SCRIPT.parent / "files" / "user_repository_test.exs").read_text()
    generate = next(c for c in seen["completed"] if c["step"] == "generate_tests_and_fixtures")
    assert generate["data"]["turns"] == 5


async def test_expect_none_generates_and_commits_without_running_tests(
    system: System, sessions: Any
) -> None:
    request = request_for(system, "MyApp.Accounts.UserRegistration", "none", "e2e-none")
    seen = await run_session(system, request)
    [finished] = seen["finished"]
    assert finished["status"] == "complete", f"{finished}\n{system.logs()}"
    assert [c["step"] for c in seen["completed"]] == [
        "initialize",
        "generate_tests_and_fixtures",
        "finalize",
    ]
    doc = await sessions.find_one({"_id": request.data.session_id})
    assert doc["outcome"]["commit_sha"] == finished["outcome"]["commit_sha"]
