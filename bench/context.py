"""What one ``make bench`` run knows and created: endpoints, where results go, profiling, the
variants it runs, and what it must drop at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from cts_testing.stack import Endpoints


@dataclass
class RunContext:
    bootstrap: str
    mongodb_uri: str
    run_id: str
    out_dir: Path
    profile_dir: Path | None = None
    profiler: str = "pyinstrument"
    orchestrator_env: dict[str, str] = field(default_factory=dict)
    """Extra ``CTS_*`` settings for every orchestrator (e.g. to try a consumer option)."""
    variants: dict[str, Path | None] = field(default_factory=dict)
    """Other orchestrators run beside this one's: a source tree (e.g. an older commit), or
    ``None`` for this tree with its own settings (``variant_env``)."""
    variant_env: dict[str, dict[str, str]] = field(default_factory=dict)
    auth: Endpoints | None = None
    b4_env: dict[str, str] = field(default_factory=dict)
    """Extra ``CTS_*`` settings for every B4 service (e.g. a smaller connection pool)."""
    """A second broker requiring SASL/SCRAM with the ACLs: the ``-auth`` systems run there."""
    created_prefixes: list[str] = field(default_factory=list)
    created_databases: list[str] = field(default_factory=list)

    async def cleanup(self) -> None:
        """Drop what this run created: its databases and its topics (by its own prefixes)."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.mongodb_uri)
        try:
            for name in self.created_databases:
                await client.drop_database(name)
        finally:
            await client.close()
        # Only the shared broker: the authenticated one is this run's own and goes with it.
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            mine = [
                name
                for name in await admin.list_topics()
                if any(name.startswith(prefix) for prefix in self.created_prefixes)
            ]
            if mine:
                await admin.delete_topics(mine)
        finally:
            await admin.close()

    def kafka(self, authenticated: bool) -> tuple[str, dict[str, Any]]:
        """The broker (``authenticated``: the SASL one) and its admin's aiokafka arguments."""
        if not authenticated:
            return self.bootstrap, {}
        assert self.auth is not None, "no authenticated broker in this run"
        return self.auth.kafka_bootstrap_servers, self.auth.kafka_options()
