"""The services of one reliability scenario as OS processes on a given stack: started, killed
(as a crash would) and restarted by role, with the scripted model beside them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from cts_contracts import SessionRequested
from cts_demo.repository import DemoPaths, prepare_repository
from cts_test_runner.process_tree import kill_run
from cts_testing.factories import session_requested
from cts_testing.kafka import delete_topics
from cts_testing.network import free_port, wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.reliability.conversations import replay_tag
from tests.reliability.harness import (
    ACCOUNT,
    MODULE,
    PRINCIPALS,
    PROJECT,
    ROLES,
    STARTED,
    namespace_topics,
    session_id,
    wait_until,
)


@dataclass
class Fleet:
    """The four services (any number of replicas each) and the scripted model server, with
    their own topics (``prefix``), database and workspace root on ``endpoints``."""

    endpoints: Endpoints
    root: Path
    prefix: str
    env: dict[str, str]
    llm_url: str
    processes: list[ServiceProcess] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)

    @property
    def database(self) -> str:
        return self.env["CTS_MONGODB_DATABASE"]

    def start(self, role: str, **extra_env: str) -> ServiceProcess:
        self._counts[role] += 1
        name = f"{role}-{self._counts[role]}"
        env = {**self.env, **self.endpoints.kafka_env(PRINCIPALS[role]),
               "CTS_INSTANCE_ID": name, **extra_env}  # fmt: skip
        process = ServiceProcess(ROLES[role], env, self.root / "logs" / f"{name}.log").start()
        self.processes.append(process)
        return process

    def crash(self, process: ServiceProcess) -> None:
        """SIGKILL the process and everything it started, as a crashed pod loses its whole
        container (a test's ``mix`` included), then reap it."""
        if process.alive():
            kill_run(process.pid, uuid.uuid4().hex, leader_alive=True)
            process.wait(10)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    async def ready(
        self, processes: Iterable[ServiceProcess] | None = None, within: float = 60
    ) -> None:
        """Until every (given) service has started its broker and subscribers: a service that
        cannot reach Kafka at startup exits, and locally no supervisor restarts it."""
        waiting = [p for p in (processes or self.processes) if p.module in ROLES.values()]

        def started() -> bool:
            for process in waiting:
                if not process.alive():
                    raise AssertionError(f"{process.log_path.stem} exited\n{process.log_tail()}")
            return all(STARTED in p.log_tail(400) for p in waiting)

        await wait_until(started, within=within, what="the services to start")

    def live(self, role: str) -> list[ServiceProcess]:
        return [p for p in self.processes if p.module == ROLES[role] and p.alive()]

    def logs(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {p.log_path.stem} (alive={p.alive()})\n{p.log_tail(lines)}"
            for p in self.processes
        )

    def repository(self, name: str) -> tuple[str, Path]:
        """A bare repository of the sample app of its own (a session branch per repository)."""
        from rich.console import Console  # noqa: PLC0415

        paths = DemoPaths(self.root / "repos" / name)
        paths.root.mkdir(parents=True, exist_ok=True)
        return prepare_repository(paths, Console(quiet=True)), paths.bare_repo

    def request(
        self,
        request_id: str,
        repo_url: str,
        *,
        expect: str = "red",
        account: str = ACCOUNT,
        project: str = PROJECT,
    ) -> SessionRequested:
        tag = replay_tag(session_id(request_id, account, project))
        return session_requested(
            account_id=account,
            project_id=project,
            request_id=request_id,
            component={
                "module_name": MODULE,
                "type": "service",
                "description": f"Registers users {tag}",
            },
            repository={"url": repo_url, "base_ref": "main", "push": True},
            options={"expect": expect, "max_fix_attempts": 3},
        )

    async def model_requests(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.llm_url, timeout=10) as client:
            answer = await client.get("/_requests")
            answer.raise_for_status()
            found: list[dict[str, Any]] = answer.json()
            return found

    async def remaining_turns(self) -> dict[str, int]:
        async with httpx.AsyncClient(base_url=self.llm_url, timeout=10) as client:
            answer = await client.get("/_health")
            answer.raise_for_status()
            remaining: dict[str, int] = answer.json()["remaining"]
            return remaining


@contextlib.asynccontextmanager
async def fleet(
    endpoints: Endpoints,
    root: Path,
    conversations: Sequence[dict[str, Any]],
    *,
    roles: Sequence[str] = ("orchestrator", "git", "agent", "tests"),
    env: dict[str, str] | None = None,
) -> AsyncIterator[Fleet]:
    """Topics under a fresh prefix, the scripted model, and one process per role in ``roles``
    (a test adds, kills and restarts more); everything is stopped and the database dropped."""
    namespace = f"rel{uuid.uuid4().hex[:8]}"
    prefix = f"{namespace}."
    await namespace_topics(endpoints, prefix, partitions=6)
    script = root / "script.json"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(json.dumps({"conversations": list(conversations)}))
    port = free_port()
    base_env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": endpoints.mongodb_uri,
        "CTS_MONGODB_DATABASE": f"cts_{namespace}",
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_WORKSPACE_ROOT": str(root / "workspaces"),
        "CTS_GIT_ALLOW_FILE_URLS": "true",
        "CTS_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": "scripted-reliability-key",
        "CTS_LOG_FORMAT": "console",
        "CTS_SWEEP_INTERVAL_S": "1",
        "CTS_OUTBOX_GRACE_S": "2",
        **(env or {}),
    }
    running = Fleet(endpoints, root, prefix, base_env, f"http://127.0.0.1:{port}")
    llm = ServiceProcess(
        "cts_testing.scripted_llm",
        {},
        root / "logs" / "llm.log",
        args=["--script", str(script), "--port", str(port)],
    ).start()
    running.processes.append(llm)
    try:
        for role in roles:
            running.start(role)
        await asyncio.to_thread(wait_for_port, port)
        await running.ready()
        yield running
    finally:
        running.stop()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
        with contextlib.suppress(Exception):
            await client.drop_database(base_env["CTS_MONGODB_DATABASE"])
        await client.close()
        with contextlib.suppress(Exception):  # a test may have left its private broker down
            await asyncio.wait_for(
                delete_topics(endpoints.kafka_bootstrap_servers, prefix,
                              endpoints.kafka_options()),
                timeout=30,
            )  # fmt: skip
