"""Many messages of one subscription at once: the window between Kafka and the handlers.

A replica holds up to ``limit`` messages (running, or waiting behind a message of the same
key), runs one at a time per key (a session's messages in order), and commits each partition
only up to its lowest unfinished message (``PartitionOffsets``), so at-least-once holds as
with one message at a time. A full window pauses the consumer's partitions instead of
buffering: the consumer keeps polling (it waits in ``getone`` for the partitions it may
read), so a long step never looks like a stuck member and never costs a rebalance.

Revocation (another member joins or leaves): waiting messages of the revoked partitions are
dropped, running ones get ``grace_s`` to finish, the finished prefix is committed, and what is
still running keeps running: its effect is idempotent, whoever receives the message next
(every handler is), and when the partition comes back here the redelivered message is tied
to the run still going (or to its end) instead of running twice. Shutdown (``drain``): the
same grace, then what is left is cancelled and redelivered after the restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Protocol

from aiokafka import TopicPartition
from cachetools import LRUCache

from cts_runtime.lanes import Lanes
from cts_runtime.logs import get_logger
from cts_runtime.offsets import PartitionOffsets

log = get_logger(__name__)

Ident = tuple[TopicPartition, int]

COMMIT_RETRY_S = 1.0

FINISHED_MEMORY = 10_000
"""Messages remembered as finished here: one redelivered after a rebalance that gave its
partition back is then acknowledged without running again."""


class Consumer(Protocol):
    """What the window needs of an ``AIOKafkaConsumer``."""

    def assignment(self) -> set[TopicPartition]: ...
    def pause(self, *partitions: TopicPartition) -> None: ...
    def resume(self, *partitions: TopicPartition) -> None: ...
    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


@dataclass(frozen=True)
class Delivery:
    partition: TopicPartition
    offset: int
    key: Hashable
    run: Callable[[], Awaitable[None]]
    """Handles the message to its end (done or dead-lettered); never raises for a message."""

    @property
    def ident(self) -> Ident:
        return (self.partition, self.offset)


class Window:
    def __init__(
        self,
        name: str,
        *,
        limit: int,
        grace_s: float,
        on_refill: Callable[[], None] | None = None,
    ) -> None:
        """``on_refill``: called when the window is full again after some of its messages
        finished (the reliability tests' crash with a full window in flight)."""
        if limit < 1:
            raise ValueError("a window holds at least one message")
        self.name = name
        self.limit = limit
        self._grace_s = grace_s
        self._on_refill = on_refill
        self._consumer: Consumer | None = None
        self._partitions: dict[TopicPartition, PartitionOffsets] = {}
        self._running: dict[Ident, asyncio.Task[None]] = {}
        self._lanes: Lanes[Delivery] = Lanes()
        self._finished: LRUCache[Ident, None] = LRUCache(maxsize=FINISHED_MEMORY)
        self._paused = False
        self._closing = False
        self._commit_wanted = False
        self._committer: asyncio.Task[None] | None = None

    @property
    def in_flight(self) -> int:
        return len(self._running) + self._lanes.waiting

    def accept(self, delivery: Delivery, consumer: Consumer) -> None:
        """Take a message the consumer just returned (never blocks: the consumer goes on)."""
        if self._closing:
            return  # never tracked, never committed: the next owner receives it
        self._consumer = consumer
        offsets = self._partitions.setdefault(delivery.partition, PartitionOffsets())
        if not offsets.received(delivery.offset):
            return
        if delivery.ident in self._finished:
            offsets.finished(delivery.offset)
            self._want_commit()
        elif delivery.ident not in self._running:  # else still running since a rebalance
            if self._lanes.add(delivery.key, delivery):
                self._start(delivery)
            self._throttle()

    def assigned(self, partitions: Collection[TopicPartition]) -> None:
        """A rebalance gave this member ``partitions``: reading starts again at their commits,
        so their offsets are tracked afresh."""
        for partition in partitions:
            self._partitions[partition] = PartitionOffsets()
        if self._consumer is not None and (self._paused or self._closing):
            self._consumer.pause(*partitions)

    async def revoked(self, partitions: Collection[TopicPartition]) -> None:
        lost = {partition for partition in partitions if partition in self._partitions}
        dropped = self._lanes.drop(lambda delivery: delivery.partition in lost)
        running = [task for (partition, _), task in self._running.items() if partition in lost]
        if running:
            await asyncio.wait(running, timeout=self._grace_s)
        await self._commit(lost)
        for partition in lost:
            del self._partitions[partition]
        still = sum(1 for partition, _ in self._running if partition in lost)
        if lost:
            log.info("partitions revoked", window=self.name, partitions=len(lost),
                     dropped_waiting=dropped, still_running=still)  # fmt: skip

    async def drain(self) -> None:
        """At shutdown: stop reading, give running handlers ``grace_s``, cancel the rest
        (they are received again after the restart), commit what finished."""
        if self._closing:
            return
        self._closing = True
        if self._consumer is not None:
            self._consumer.pause(*self._consumer.assignment())
        self._lanes.drop(lambda delivery: True)
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=self._grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if late:
                log.info("handlers cancelled at shutdown", window=self.name, cancelled=len(late))
        if self._committer is not None:
            self._committer.cancel()  # it may be waiting out a Kafka outage
            await asyncio.gather(self._committer, return_exceptions=True)
        await self._commit(set(self._partitions))

    def _start(self, delivery: Delivery) -> None:
        name = f"{self.name}:{delivery.partition.partition}:{delivery.offset}"
        self._running[delivery.ident] = asyncio.create_task(self._run(delivery), name=name)

    async def _run(self, delivery: Delivery) -> None:
        finished = False
        try:
            await delivery.run()
            finished = True
        except Exception:
            # Not committed: the partition's commit waits at this message until a restart or
            # a rebalance hands it out again.
            where = {"partition": delivery.partition.partition, "offset": delivery.offset}
            log.exception("message left unfinished", window=self.name, **where)
        finally:
            self._end(delivery, finished=finished)

    def _end(self, delivery: Delivery, *, finished: bool) -> None:
        self._running.pop(delivery.ident, None)
        if finished:
            self._finished[delivery.ident] = None
            offsets = self._partitions.get(delivery.partition)
            if offsets is not None:
                offsets.finished(delivery.offset)
                self._want_commit()
        following = self._lanes.next(delivery.key)
        if following is not None:
            self._start(following)
        self._throttle()

    def _throttle(self) -> None:
        consumer = self._consumer
        full = self.in_flight >= self.limit
        if consumer is None or self._closing or full == self._paused:
            return
        partitions = consumer.assignment()
        if full:
            consumer.pause(*partitions)
            log.info("window full: reading paused", window=self.name, in_flight=self.in_flight)
            if self._on_refill is not None and self._finished:
                self._on_refill()
        else:
            consumer.resume(*partitions)
        self._paused = full

    def _want_commit(self) -> None:
        self._commit_wanted = True
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_while_wanted())

    async def _commit_while_wanted(self) -> None:
        """One commit at a time; finishes meanwhile are folded into the next one; a failed
        commit is tried again (until the partitions are gone or the window drained)."""
        while self._commit_wanted:
            self._commit_wanted = False
            if not await self._commit(set(self._partitions)):
                await asyncio.sleep(COMMIT_RETRY_S)
                self._commit_wanted = True

    async def _commit(self, partitions: Collection[TopicPartition]) -> bool:
        """Commit each partition's point if it moved; False if Kafka refused."""
        consumer = self._consumer
        if consumer is None:
            return True
        assigned = consumer.assignment()  # a partition in the middle of a rebalance waits
        moved = [
            (offsets, partition, point)
            for partition in partitions
            if partition in assigned
            and (offsets := self._partitions.get(partition)) is not None
            and (point := offsets.to_commit()) is not None
        ]
        if not moved:
            return True
        try:
            await consumer.commit({partition: point for _, partition, point in moved})
        except Exception as exc:
            # Until a later commit succeeds, a crash redelivers these (handlers are idempotent).
            log.warning("could not commit offsets", window=self.name, error=repr(exc)[:300])
            return False
        for offsets, _, point in moved:
            offsets.committed(point)
        return True
