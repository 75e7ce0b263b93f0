"""Readiness probe for the local stack: a Kafka metadata request and a MongoDB ping.

Used by stack.sh; exits 0 when both answer before the deadline, 1 otherwise,
printing which one did not. Kafka's SASL settings come from the CTS_KAFKA_* variables
(stack.sh passes the admin's when the stack is authenticated).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings


async def kafka_answers(bootstrap: str) -> str | None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=3000, **client_security(KafkaSettings())
    )
    try:
        await admin.start()
        await admin.list_topics()
        return None
    except Exception as exc:  # the probe reports any failure; it never raises
        return f"kafka at {bootstrap}: {type(exc).__name__}: {exc}"
    finally:
        await admin.close()


async def mongo_answers(uri: str) -> str | None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        uri, serverSelectionTimeoutMS=2000
    )
    try:
        await client.admin.command("ping")
        return None
    except Exception as exc:  # the probe reports any failure; it never raises
        return f"mongodb at {uri}: {type(exc).__name__}"
    finally:
        await client.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--mongo", required=True)
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep trying")
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the probe says it itself
    deadline = time.monotonic() + args.wait
    while True:
        problems = [
            p
            for p in await asyncio.gather(kafka_answers(args.kafka), mongo_answers(args.mongo))
            if p
        ]
        if not problems:
            return 0
        if time.monotonic() >= deadline:
            for problem in problems:
                print(f"[stack] not answering: {problem}", file=sys.stderr)
            return 1
        await asyncio.sleep(1)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
