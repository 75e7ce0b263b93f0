"""B4's deployment: one replica of every service and the scripted Messages API as processes on
the local stack, with a bare repository per session and a watcher of ``SessionFinished``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console

from bench.context import RunContext
from bench.processes import Service
from cts_contracts import SessionRequested
from cts_contracts import topics as t
from cts_demo.repository import DemoPaths, prepare_repository
from cts_runtime.topics_admin import ensure_topics
from cts_testing.groups import wait_for_groups
from cts_testing.network import free_port, wait_for_port

SERVICES = {
    "orchestrator": ("cts_orchestrator", ("orchestrator-requests", "orchestrator-results")),
    "git-committer": ("cts_git_committer", ("git-committer", "git-committer-cleanup")),
    "agent-runner": ("cts_agent_runner", ("agent-runner",)),
    "test-runner": ("cts_test_runner", ("test-runner",)),
}


@dataclass
class Finishes:
    """When each session's ``SessionFinished`` arrived (this process's monotonic clock)."""

    bootstrap: str
    topic: str
    seen: dict[str, tuple[str, float]] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.bootstrap,
                                    auto_offset_reset="earliest", group_id=None)  # fmt: skip
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=100)
                now = time.perf_counter()
                for records in batch.values():
                    for record in records:
                        data = json.loads(record.value)["data"]
                        self.seen.setdefault(data["session_id"], (data["status"], now))
                        self._arrived.set()
        finally:
            await consumer.stop()

    async def wait(self, session_ids: Iterable[str], *, within: float) -> float:
        """Until every session finished; the arrival of the last one."""
        wanted, deadline = set(session_ids), time.monotonic() + within
        while not wanted <= self.seen.keys():
            if time.monotonic() > deadline:
                missing = len(wanted - self.seen.keys())
                raise TimeoutError(f"{missing} of {len(wanted)} sessions did not finish")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=1)
        ended = {self.seen[s][0] for s in wanted}
        if ended != {"complete"}:
            raise RuntimeError(f"sessions ended {sorted(ended)}, expected complete")
        return max(self.seen[s][1] for s in wanted)


@dataclass
class Fleet:
    ctx: RunContext
    prefix: str
    root: Path
    services: dict[str, Service]
    finishes: Finishes
    template: Path
    producer: AIOKafkaProducer
    database: str

    def repository(self, name: str) -> str:
        """A bare copy of the sample app of its own (a session branch per repository)."""
        bare = self.root / "repos" / f"{name}.git"
        shutil.copytree(self.template, bare)
        return f"file://{bare}"

    async def send(self, events: Iterable[SessionRequested]) -> None:
        """Publish every request at once (one producer, as a client's burst would)."""
        topic = t.topic(t.SESSION_REQUESTED, self.prefix)
        sent = [
            await self.producer.send(topic, e.model_dump_json().encode(),
                                     key=e.data.session_id.encode())
            for e in events
        ]  # fmt: skip
        await asyncio.gather(*sent)


@contextlib.asynccontextmanager
async def fleet(ctx: RunContext, script: list[dict[str, Any]]) -> AsyncIterator[Fleet]:
    """The four services and the scripted model, on topics, groups and a database of B4's own;
    stopped by pid at the end (topics and database are dropped with the run's)."""
    label = "b4"
    prefix, group_prefix = f"{ctx.run_id}.{label}.", f"{ctx.run_id}-{label}"
    database = f"{ctx.run_id}_{label}"
    ctx.created_prefixes.append(prefix)
    ctx.created_databases.append(database)
    await ensure_topics(ctx.bootstrap, prefix=prefix, partitions=6)
    root = ctx.out_dir / label
    root.mkdir(parents=True, exist_ok=True)
    (root / "script.json").write_text(json.dumps({"conversations": script}))
    port = free_port()
    env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap, "CTS_MONGODB_URI": ctx.mongodb_uri,
        "CTS_MONGODB_DATABASE": database, "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": group_prefix, "CTS_WORKSPACE_ROOT": str(root / "workspaces"),
        "CTS_GIT_ALLOW_FILE_URLS": "true", "CTS_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": "scripted-benchmark-key", "CTS_LOG_LEVEL": "WARNING",
        **ctx.b4_env,
    }  # fmt: skip
    llm = [sys.executable, "-m", "cts_testing.scripted_llm",
           "--script", str(root / "script.json"), "--port", str(port)]  # fmt: skip
    started: list[Service] = [Service("scripted-llm", llm, {}, root / "llm.log").start()]
    services: dict[str, Service] = {}
    try:
        for name, (module, _) in SERVICES.items():
            services[name] = _service(ctx, name, module, env, root).start()
            started.append(services[name])
        await asyncio.to_thread(wait_for_port, port)
        groups = [f"{group_prefix}-{g}" for _, gs in SERVICES.values() for g in gs]
        await wait_for_groups(ctx.bootstrap, groups, members=1, processes=started)
        finishes = Finishes(ctx.bootstrap, t.topic(t.SESSION_FINISHED, prefix))
        watching = asyncio.create_task(finishes.run())
        template = DemoPaths(root / "template")
        prepare_repository(template, Console(quiet=True))
        producer = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            yield Fleet(
                ctx, prefix, root, services, finishes, template.bare_repo, producer, database
            )
        finally:
            await producer.stop()
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
    finally:
        for process in reversed(started):
            process.stop()


def _service(ctx: RunContext, name: str, module: str, env: dict[str, str], root: Path) -> Service:
    """Under ``--profile db`` through ``bench.launch``, counting its MongoDB commands."""
    if ctx.profile_dir is None or ctx.profiler != "db":
        return Service.module(name, module, env, root / f"{name}.log")
    monitor = {"BENCH_DB_MONITOR_OUT": str(ctx.profile_dir / f"b4-{name}.db.json")}
    argv = [sys.executable, "-m", "bench.launch", module]
    return Service(name, argv, env | monitor, root / f"{name}.log")
