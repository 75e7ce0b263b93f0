"""The two systems a benchmark drives: CTS (the real orchestrator processes) and the floor.

The ``-auth`` kinds run the same on the run's second broker, which requires SASL/SCRAM and
enforces the ACLs (``cts_runtime.kafka_acls``): the orchestrator (and the floor in its place)
log in as the orchestrator's principal, the instant executor as the admin.

Each deployment gets its own topic prefix, database and consumer groups, so phases never
share state, and it is torn down (processes stopped by pid, topics and database dropped).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import bson
from pymongo import AsyncMongoClient

from bench import floor
from bench.context import RunContext
from bench.executor import FailWhen, InstantExecutor
from bench.orchestrator_argv import db_monitor_env, orchestrator_argv, sources
from bench.processes import Service
from bench.sizes import ACCOUNT, FLOOR_COMMAND_PAD, FLOOR_DOC_PAD, FLOOR_REQUEST_PAD, PROJECT
from cts_contracts import Executor
from cts_contracts import topics as t
from cts_core import command_topic
from cts_runtime.kafka_acl_admin import apply_grants
from cts_runtime.kafka_acls import grants
from cts_runtime.topics_admin import ensure_topics
from cts_testing.factories import session_requested
from cts_testing.groups import wait_for_groups

Kind = Literal["cts", "floor", "floor-cas", "cts-auth", "floor-auth"]


@dataclass
class Deployment:
    kind: Kind
    label: str
    prefix: str
    database: str
    services: list[Service]
    executor: InstantExecutor
    _client: AsyncMongoClient[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    def halt(self) -> None:
        """Stop the services now (e.g. to leave a backlog behind without it competing)."""
        for service in self.services:
            service.stop()

    def request(self, index: int) -> tuple[str, bytes]:
        """A new session's id and the request that starts it."""
        if self.kind.startswith("cts"):
            event = session_requested(
                request_id=f"{self.label}-{index}",
                account_id=ACCOUNT,
                project_id=PROJECT,
                **({"options": self.options} if self.options else {}),
            )
            return event.data.session_id, event.model_dump_json().encode()
        session_id = str(uuid.uuid4())
        body = {
            "data": {
                "session_id": session_id,
                "account_id": ACCOUNT,
                "project_id": PROJECT,
                "request_id": f"{self.label}-{index}",
                "pad": "x" * FLOOR_REQUEST_PAD,
            }
        }
        return session_id, json.dumps(body).encode()

    @property
    def requests_topic(self) -> str:
        return t.topic(t.SESSION_REQUESTED, self.prefix)

    @property
    def collection(self) -> str:
        return "sessions" if self.kind.startswith("cts") else "floor"

    async def document_sizes(self, session_ids: list[str]) -> dict[str, int]:
        """BSON size of each stored session document."""
        collection = self._client[self.database][self.collection]
        return {
            doc["_id"]: len(bson.encode(doc))
            for doc in [await collection.find_one({"_id": s}) for s in session_ids]
            if doc is not None
        }

    async def forget(self, session_ids: list[str] | None = None) -> None:
        """Remove finished sessions' documents (all of them when ``None``).

        FerretDB v1 (SQLite) reads every document of a collection for any query that names no
        ``_id`` (the sweeper's), so stored sessions slow every later transition. Removing them
        between measurements keeps the collection the same size for CTS and the floor.
        """
        collection = self._client[self.database][self.collection]
        if session_ids is None:
            await collection.delete_many({})
            return
        for session_id in session_ids:
            await collection.delete_one({"_id": session_id})


@asynccontextmanager
async def deploy(
    ctx: RunContext,
    kind: Kind,
    label: str,
    *,
    replicas: int = 1,
    fail_when: FailWhen | None = None,
    options: dict[str, Any] | None = None,
    source: Path | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Deployment]:
    """``source``: run the orchestrator, core and store of that tree instead of this one;
    ``env``: extra variables for the orchestrators."""
    prefix = f"{ctx.run_id}.{label}."
    group_prefix = f"{ctx.run_id}-{label}"
    database = f"{ctx.run_id}_{label}".replace(".", "_").replace("-", "_")
    ctx.created_prefixes.append(prefix)
    ctx.created_databases.append(database)
    authenticated = kind.endswith("-auth")
    bootstrap, admin = ctx.kafka(authenticated)
    await ensure_topics(bootstrap, prefix=prefix, partitions=6, security=admin)
    principal: dict[str, str] = {}
    if authenticated and ctx.auth is not None:
        await apply_grants(bootstrap, grants(prefix, group_prefix), admin)
        principal = ctx.auth.kafka_env("orchestrator")
    services: list[Service] = []
    try:
        if kind.startswith("cts"):
            cts_env = {
                "CTS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                **principal,
                "CTS_MONGODB_DATABASE": database,
                "CTS_TOPIC_PREFIX": prefix,
                "CTS_GROUP_PREFIX": group_prefix,
                **(env or {}),
            }
            groups = _start_orchestrators(
                ctx, label, replicas, cts_env, source=source, services=services
            )
        else:
            settings = floor.FloorSettings(
                bootstrap=bootstrap,
                mongodb_uri=ctx.mongodb_uri,
                database=database,
                topic_prefix=prefix,
                group_id=f"{group_prefix}-orchestrator-floor",  # the principal's groups
                doc_bytes=FLOOR_DOC_PAD,
                command_bytes=FLOOR_COMMAND_PAD,
                cas=kind == "floor-cas",
            )
            groups = _start_floors(ctx, label, replicas, settings, principal,
                                   services=services)  # fmt: skip
        await wait_for_groups(bootstrap, groups, members=replicas, processes=services,
                              security=admin)  # fmt: skip
        executor = _executor(bootstrap, admin, prefix, group_prefix, fail_when)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.mongodb_uri)
        try:
            async with executor:
                yield Deployment(
                    kind, label, prefix, database, services, executor, client, options or {}
                )
        finally:
            await client.close()
    finally:
        for service in services:
            service.stop()


def _start_orchestrators(
    ctx: RunContext, label: str, replicas: int, env: dict[str, str],
    *, source: Path | None, services: list[Service],
) -> list[str]:  # fmt: skip
    """Start ``replicas`` orchestrators into ``services``; returns their consumer groups."""
    env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap,
        "CTS_MONGODB_URI": ctx.mongodb_uri,
        **ctx.orchestrator_env,
        **env,
    }
    for n in range(replicas):
        log = ctx.out_dir / "logs" / f"{label}-orchestrator{n}.log"
        argv = orchestrator_argv(ctx, label, n)
        monitor = db_monitor_env(ctx, label, n)
        service = Service(f"orchestrator{n}", argv, env | monitor, log, pythonpath=sources(source))
        services.append(service.start())
    group_prefix = env["CTS_GROUP_PREFIX"]
    return [f"{group_prefix}-orchestrator-requests", f"{group_prefix}-orchestrator-results"]


def _start_floors(
    ctx: RunContext, label: str, replicas: int, settings: floor.FloorSettings,
    principal: dict[str, str], *, services: list[Service],
) -> list[str]:  # fmt: skip
    """Start ``replicas`` floors into ``services``; returns their consumer group."""
    env = settings.env() | principal
    for n in range(replicas):
        log = ctx.out_dir / "logs" / f"{label}-floor{n}.log"
        services.append(Service.module(f"floor{n}", "bench.floor", env, log).start())
    return [settings.group_id]


def _executor(
    bootstrap: str, security: dict[str, Any], prefix: str, group_prefix: str,
    fail_when: FailWhen | None,
) -> InstantExecutor:  # fmt: skip
    return InstantExecutor(
        bootstrap,
        security=security,
        command_topics=[t.topic(command_topic(e), prefix) for e in Executor],
        results_topic=t.topic(t.STEP_COMPLETED, prefix),
        finished_topic=t.topic(t.SESSION_FINISHED, prefix),
        group_id=f"{group_prefix}-executor",
        fail_when=fail_when,
    )
