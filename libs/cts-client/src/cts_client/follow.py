"""Follow one session's events from Kafka until it finishes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)


@dataclass(frozen=True)
class SessionEvent:
    kind: str  # "requested" | "completed" | "finished"
    data: dict[str, Any]


async def follow(
    bootstrap: str,
    session_id: str,
    *,
    prefix: str = "",
    lookback_s: float = 24 * 3600,
    timeout_s: float | None = None,
    security: dict[str, Any] | None = None,
) -> AsyncIterator[SessionEvent]:
    """Yield the session's commands, completions and finally its ``SessionFinished``.

    Reads without a consumer group from ``lookback_s`` ago, so following a session that
    already ended still shows its history and ends.
    """
    kinds = {
        topic(AGENT_STEP_REQUESTED, prefix): "requested",
        topic(TESTS_STEP_REQUESTED, prefix): "requested",
        topic(GIT_STEP_REQUESTED, prefix): "requested",
        topic(STEP_COMPLETED, prefix): "completed",
        topic(SESSION_FINISHED, prefix): "finished",
    }
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **(security or {})
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(name, p)
            for name in kinds
            for p in sorted(
                consumer.partitions_for_topic(name) or await _partitions(consumer, name)
            )
        ]
        consumer.assign(partitions)
        since_ms = int((time.time() - lookback_s) * 1000)
        offsets = await consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            found = offsets.get(tp)
            consumer.seek(tp, found.offset if found else ends[tp])
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        finished: SessionEvent | None = None
        caught_up_at: dict[TopicPartition, int] = {}
        while deadline is None or time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            # Partitions arrive in any order: replay a batch in time order, and hold the
            # finish back until every partition has been read up to where it stood when the
            # finish was seen, so a session followed after it ended still shows every step.
            records = sorted((r for rs in batch.values() for r in rs), key=lambda r: r.timestamp)
            for record in records:
                event = _decode(record.value)
                if event is None or event.get("subject") != session_id:
                    continue
                kind = kinds[record.topic]
                if kind == "finished":
                    finished = SessionEvent(kind, event.get("data", {}))
                    caught_up_at = await consumer.end_offsets(partitions)
                    continue
                yield SessionEvent(kind, event.get("data", {}))
            if finished is not None and all(
                await asyncio.gather(
                    *[_reached(consumer, tp, end) for tp, end in caught_up_at.items()]
                )
            ):
                yield finished
                return
        raise TimeoutError(f"session {session_id} did not finish within {timeout_s:.0f}s")
    finally:
        await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> bool:
    return bool(await consumer.position(tp) >= end)


async def _partitions(consumer: AIOKafkaConsumer, name: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(name)
        if found:
            return set(found)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {name} does not exist: create the topics first (cts topics create)")


def _decode(value: bytes | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None
