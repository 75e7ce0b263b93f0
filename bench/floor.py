"""The raw floor: the orchestrator's I/O chain with no CTS code, as its own process.

``python -m bench.floor`` consumes the request and completion topics like the orchestrator
(one consumer group, one message at a time), does ONE ``find_one_and_update`` per message,
publishes the next command (or "finished") with the same idempotent producer, and commits the
offset after the publish (at-least-once, as FastStream's ack policy does for CTS). A floor
session is one request and five completions, like a CTS session on the happy path.

With ``BENCH_FLOOR_FILTER=cas`` a completion's update is a compare-and-set like CTS's: the
filter names the tenant and the version this process wrote last (still one round trip). On
stock FerretDB v1 (SQLite) that alone decided the cost: any filter but a lone ``_id`` decoded
every document. The local stack's build hands the ``_id`` of any filter to the ``_id`` index
(``deploy/local/ferretdb/build.sh``), as MongoDB does, so ``floor-cas`` now shows what the
compare-and-set itself costs.

Configured by ``BENCH_*`` environment variables (see ``FloorSettings``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient, ReturnDocument

from cts_contracts import topics as t
from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings

STEPS: tuple[tuple[str, str], ...] = (
    ("initialize", t.GIT_STEP_REQUESTED),
    ("prepare_project", t.TESTS_STEP_REQUESTED),
    ("generate_tests_and_fixtures", t.AGENT_STEP_REQUESTED),
    ("run_tests", t.TESTS_STEP_REQUESTED),
    ("finalize", t.GIT_STEP_REQUESTED),
)


@dataclass(frozen=True)
class FloorSettings:
    bootstrap: str
    mongodb_uri: str
    database: str
    topic_prefix: str
    group_id: str
    doc_bytes: int
    """Padding stored per session: the floor keeps as many bytes per session as CTS does."""
    command_bytes: int
    """Padding per command: the floor's commands are as large as CTS's."""
    cas: bool = False
    """Filter completions by tenant and version, as a compare-and-set does."""

    @classmethod
    def from_env(cls) -> FloorSettings:
        env = os.environ
        return cls(
            bootstrap=env["BENCH_KAFKA_BOOTSTRAP_SERVERS"],
            mongodb_uri=env["BENCH_MONGODB_URI"],
            database=env["BENCH_MONGODB_DATABASE"],
            topic_prefix=env["BENCH_TOPIC_PREFIX"],
            group_id=env["BENCH_GROUP_ID"],
            doc_bytes=int(env.get("BENCH_DOC_BYTES", "4000")),
            command_bytes=int(env.get("BENCH_COMMAND_BYTES", "1300")),
            cas=env.get("BENCH_FLOOR_FILTER", "") == "cas",
        )

    def env(self) -> dict[str, str]:
        return {
            "BENCH_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "BENCH_MONGODB_URI": self.mongodb_uri,
            "BENCH_MONGODB_DATABASE": self.database,
            "BENCH_TOPIC_PREFIX": self.topic_prefix,
            "BENCH_GROUP_ID": self.group_id,
            "BENCH_DOC_BYTES": str(self.doc_bytes),
            "BENCH_COMMAND_BYTES": str(self.command_bytes),
            "BENCH_FLOOR_FILTER": "cas" if self.cas else "id",
        }


def next_message(
    request: dict[str, Any], transitions: int, *, prefix: str, pad: str
) -> tuple[str, bytes]:
    """After the ``transitions``-th message of a session: the next command, or "finished"."""
    session_id = request["session_id"]
    if transitions > len(STEPS):
        finished = {"data": {"session_id": session_id, "status": "complete"}}
        return t.topic(t.SESSION_FINISHED, prefix), json.dumps(finished).encode()
    step, command_topic = STEPS[transitions - 1]
    command = {
        "data": {
            "account_id": request["account_id"],
            "project_id": request["project_id"],
            "session_id": session_id,
            "interaction_id": f"{session_id}.{transitions:03d}",
            "step": step,
            "attempt": 1,
            "fix_attempt": 0,
            "pad": pad,
        }
    }
    return t.topic(command_topic, prefix), json.dumps(command).encode()


async def serve(settings: FloorSettings) -> None:
    prefix = settings.topic_prefix
    security = client_security(KafkaSettings())  # CTS_KAFKA_* (an authenticated broker's)
    consumer = AIOKafkaConsumer(
        t.topic(t.SESSION_REQUESTED, prefix),
        t.topic(t.STEP_COMPLETED, prefix),
        bootstrap_servers=settings.bootstrap,
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **security,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap, enable_idempotence=True, **security
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    sessions = client[settings.database]["floor"]
    doc_pad = "x" * settings.doc_bytes
    command_pad = "x" * settings.command_bytes
    versions: dict[str, int] = {}
    await producer.start()
    await consumer.start()
    try:
        while True:
            record = await consumer.getone()
            data = json.loads(record.value)["data"]
            session_id = data["session_id"]
            match: dict[str, Any] = {"_id": session_id}
            if settings.cas and session_id in versions:
                match |= {"account_id": data["account_id"], "project_id": data["project_id"],
                          "version": versions[session_id]}  # fmt: skip
            doc = await sessions.find_one_and_update(
                match,
                {
                    "$inc": {"version": 1},
                    "$set": {"updated_at": datetime.now(UTC)},
                    "$setOnInsert": {
                        "account_id": data["account_id"],
                        "project_id": data["project_id"],
                        "pad": doc_pad,
                    },
                },
                upsert=len(match) == 1,
                return_document=ReturnDocument.AFTER,
            )
            assert doc is not None, "the floor is this session's only writer"
            versions[session_id] = doc["version"]
            topic, body = next_message(data, doc["version"], prefix=prefix, pad=command_pad)
            await producer.send_and_wait(topic, body, key=record.key)
            await consumer.commit(
                {TopicPartition(record.topic, record.partition): record.offset + 1}
            )
    finally:
        await consumer.stop()
        await producer.stop()
        await client.close()


async def main() -> None:
    task = asyncio.create_task(serve(FloorSettings.from_env()))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    asyncio.run(main())
