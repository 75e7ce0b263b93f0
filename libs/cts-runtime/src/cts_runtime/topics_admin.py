"""Create the CTS topics idempotently: ``python -m cts_runtime.topics_admin``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from cts_contracts.topics import ALL_TOPICS, topic
from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings


async def ensure_topics(
    bootstrap_servers: str,
    *,
    prefix: str = "",
    partitions: int = 6,
    replication_factor: int = 1,
    security: dict[str, Any] | None = None,
) -> list[str]:
    """Create missing CTS topics; returns the names it created (empty when all existed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **(security or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [topic(name, prefix) for name in ALL_TOPICS]
        missing = [name for name in wanted if name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
                    for name in missing
                ]
            )
        return missing
    finally:
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args()
    settings = KafkaSettings()
    created = asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap_servers,
            prefix=settings.topic_prefix,
            partitions=args.partitions,
            replication_factor=args.replication_factor,
            security=client_security(settings),
        )
    )
    print(f"created {len(created)} topic(s): {', '.join(created) or 'all existed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
