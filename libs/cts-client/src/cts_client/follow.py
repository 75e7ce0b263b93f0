"""Follow one session's events from Kafka until it finishes: every event, once, in order."""

from __future__ import annotations

import asyncio
import json
import math
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

REQUESTED, COMPLETED, FINISHED = "requested", "completed", "finished"
_RANK = {REQUESTED: 0, COMPLETED: 1, FINISHED: 2}


@dataclass(frozen=True)
class SessionEvent:
    kind: str  # "requested" | "completed" | "finished"
    data: dict[str, Any]


@dataclass(frozen=True)
class _Held:
    tp: TopicPartition
    offset: int
    timestamp: int
    event: SessionEvent


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

    Reads without a consumer group every event written from ``lookback_s`` before this call,
    so following a session that already ended still shows its history and ends.
    """
    since_ms = int((time.time() - lookback_s) * 1000)
    kinds = {
        topic(AGENT_STEP_REQUESTED, prefix): REQUESTED,
        topic(TESTS_STEP_REQUESTED, prefix): REQUESTED,
        topic(GIT_STEP_REQUESTED, prefix): REQUESTED,
        topic(STEP_COMPLETED, prefix): COMPLETED,
        topic(SESSION_FINISHED, prefix): FINISHED,
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
        await _seek_to_time(consumer, partitions, since_ms)
        events = _InOrder(consumer, partitions, kinds, session_id)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while deadline is None or time.monotonic() < deadline:
            for event in await events.next_batch():
                yield event
                if event.kind == FINISHED:
                    return
        raise TimeoutError(f"session {session_id} did not finish within {timeout_s:.0f}s")
    finally:
        await consumer.stop()


async def _seek_to_time(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], since_ms: int
) -> None:
    # The end offsets first: a record appended after that lookup is stamped after since_ms,
    # so the time lookup finds it or it sits at or past the end. Taken the other way round, a
    # record appended between the two lookups lay behind the seek and was never read.
    ends = await consumer.end_offsets(partitions)
    found = await consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
    for tp in partitions:
        hit = found.get(tp)
        consumer.seek(tp, hit.offset if hit else ends[tp])


class _InOrder:
    """Releases a session's events in causal order, each once.

    A command and its answer sit on different topics, so one fetch may bring the answer
    before the command. Events fetched are held until every partition has been read up to
    its end offset taken *after* the fetch: whatever caused them was written before they
    were, so it is below those ends and is in hand by then. Released events are ordered by
    interaction (``<session>.<n>``: the command before its answer, the finish last).
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        partitions: list[TopicPartition],
        kinds: dict[str, str],
        session_id: str,
    ) -> None:
        self.consumer = consumer
        self.partitions = partitions
        self.kinds = kinds
        self.session_id = session_id
        self.held: list[_Held] = []
        self.horizon: dict[TopicPartition, int] | None = None
        self.released: set[tuple[str, str]] = set()

    async def next_batch(self) -> list[SessionEvent]:
        batch = await self.consumer.getmany(timeout_ms=200)
        for tp, records in batch.items():
            for record in records:
                decoded = _decode(record.value)
                if decoded is None or decoded.get("subject") != self.session_id:
                    continue
                data = decoded.get("data")
                event = SessionEvent(self.kinds[tp.topic], data if isinstance(data, dict) else {})
                self.held.append(_Held(tp, record.offset, record.timestamp, event))
        if not self.held:
            return []
        if self.horizon is None:
            self.horizon = await self.consumer.end_offsets(self.partitions)
        positions = await asyncio.gather(*[self.consumer.position(tp) for tp in self.horizon])
        if any(at < end for at, end in zip(positions, self.horizon.values(), strict=True)):
            return []
        horizon, self.horizon = self.horizon, None
        ready = [held for held in self.held if held.offset < horizon[held.tp]]
        self.held = [held for held in self.held if held.offset >= horizon[held.tp]]
        return self._once(_causal(ready))

    def _once(self, events: list[SessionEvent]) -> list[SessionEvent]:
        """A re-published command or a redelivered answer is shown the first time only."""
        out = []
        for event in events:
            key = (event.kind, str(event.data.get("interaction_id", "")))
            if key[1] and key in self.released:
                continue
            self.released.add(key)
            out.append(event)
        return out


def _causal(ready: list[_Held]) -> list[SessionEvent]:
    numbered = all(_interaction_number(held.event) is not None for held in ready)

    def order(held: _Held) -> tuple[float, int, int]:
        kind = held.event.kind
        if numbered:
            return (_interaction_number(held.event) or 0, _RANK[kind], held.timestamp)
        # Interaction ids of an unknown shape: record timestamps, the finish last.
        return (float(kind == FINISHED), held.timestamp, _RANK[kind])

    return [held.event for held in sorted(ready, key=order)]


def _interaction_number(event: SessionEvent) -> float | None:
    if event.kind == FINISHED:
        return math.inf
    _, _, number = str(event.data.get("interaction_id", "")).rpartition(".")
    return int(number) if number.isdigit() else None


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
