"""The window between Kafka and the handlers: many messages at once, one at a time per key,
offsets committed only below the lowest unfinished message, a full window paused, rebalances
and shutdowns that lose nothing and run nothing twice."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Hashable
from typing import ClassVar

import pytest
from aiokafka import TopicPartition

from cts_runtime import window as window_module
from cts_runtime.window import Delivery, Window

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class FakeConsumer:
    """The four calls the window makes on an ``AIOKafkaConsumer``, recorded."""

    def __init__(self, *partitions: TopicPartition) -> None:
        self.assigned = set(partitions)
        self.paused: set[TopicPartition] = set()
        self.committed: dict[TopicPartition, int] = {}
        self.commits = 0
        self.refuse_commits = 0

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused -= set(partitions)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await asyncio.sleep(0)  # a round trip: finishes meanwhile pile up
        if self.refuse_commits:
            self.refuse_commits -= 1
            raise ConnectionError("coordinator unavailable")
        self.commits += 1
        self.committed.update(offsets)


class Handlers:
    """Messages whose handling ends when the test says so."""

    made: ClassVar[list[Handlers]] = []

    def __init__(self) -> None:
        self.gates: dict[tuple[TopicPartition, int], asyncio.Event] = {}
        self.started: list[tuple[TopicPartition, int]] = []
        self.ended: list[tuple[TopicPartition, int]] = []
        Handlers.made.append(self)

    def delivery(self, partition: TopicPartition, offset: int, key: Hashable) -> Delivery:
        ident = (partition, offset)
        gate = self.gates.setdefault(ident, asyncio.Event())

        async def run() -> None:
            self.started.append(ident)
            await gate.wait()
            self.ended.append(ident)

        return Delivery(partition, offset, key, run)

    async def finish(self, partition: TopicPartition, offset: int) -> None:
        self.gates[(partition, offset)].set()
        await settle()

    def running(self) -> set[tuple[TopicPartition, int]]:
        return set(self.started) - set(self.ended)


@pytest.fixture(autouse=True)
async def _end_what_a_test_left_running() -> AsyncIterator[None]:
    """A handler a test leaves waiting ends with the test: a task left pending would be
    destroyed later, in the middle of another test."""
    yield
    while Handlers.made:
        for gate in Handlers.made.pop().gates.values():
            gate.set()
    await settle()


async def settle() -> None:
    """Let every ready task (handlers, the committer) run to its next wait."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.parametrize("seed", range(8))
async def test_no_offset_is_ever_committed_past_an_unfinished_message(seed: int) -> None:
    chance = random.Random(seed)
    consumer, handlers = FakeConsumer(P0, P1), Handlers()
    window = Window("w", limit=1000, grace_s=1)
    offsets = {P0: list(range(0, 60, 1)), P1: list(range(100, 220, 3))}  # gaps are allowed
    for partition, numbers in offsets.items():
        for offset in numbers:
            key = f"session-{chance.randrange(1000)}".encode()  # mostly distinct sessions
            window.accept(handlers.delivery(partition, offset, key), consumer)
    await settle()
    unfinished = {(p, o) for p, numbers in offsets.items() for o in numbers}
    while unfinished:
        running = sorted(handlers.running())
        assert running, "every unfinished message runs or waits behind a running one"
        ident = chance.choice(running)
        await handlers.finish(*ident)
        unfinished.discard(ident)
        for partition, numbers in offsets.items():
            left = [o for p, o in unfinished if p == partition]
            limit = min(left) if left else numbers[-1] + 1
            committed = consumer.committed.get(partition)
            assert committed is None or committed <= limit, (
                f"{partition} committed at {committed} while offset {limit} is unfinished"
            )
    assert consumer.committed == {P0: 60, P1: 218}


async def test_the_commit_stops_at_the_lowest_unfinished_message_and_catches_up() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    window = Window("w", limit=10, grace_s=1)
    for offset in range(5):
        window.accept(handlers.delivery(P0, offset, f"s{offset}".encode()), consumer)
    await settle()
    for offset in (1, 2, 3, 4):
        await handlers.finish(P0, offset)
    assert consumer.committed.get(P0) in (None, 0)
    await handlers.finish(P0, 0)
    assert consumer.committed == {P0: 5}


async def test_one_message_at_a_time_per_key_in_order_while_other_keys_run() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    window = Window("w", limit=10, grace_s=1)
    for offset, key in enumerate([b"a", b"a", b"b", b"a"]):
        window.accept(handlers.delivery(P0, offset, key), consumer)
    await settle()
    assert handlers.running() == {(P0, 0), (P0, 2)}
    await handlers.finish(P0, 2)
    assert handlers.running() == {(P0, 0)}
    await handlers.finish(P0, 0)
    assert handlers.running() == {(P0, 1)}
    await handlers.finish(P0, 1)
    await handlers.finish(P0, 3)
    assert [o for _, o in handlers.started] == [0, 2, 1, 3]
    assert consumer.committed == {P0: 4}


async def test_a_full_window_pauses_every_partition_and_resumes_when_one_finishes() -> None:
    consumer, handlers = FakeConsumer(P0, P1), Handlers()
    window = Window("w", limit=3, grace_s=1)
    window.accept(handlers.delivery(P0, 0, b"a"), consumer)
    window.accept(handlers.delivery(P0, 1, b"a"), consumer)  # waits behind 0: still held
    assert consumer.paused == set()
    window.accept(handlers.delivery(P1, 0, b"b"), consumer)
    assert (window.in_flight, consumer.paused) == (3, {P0, P1})
    await settle()
    await handlers.finish(P1, 0)
    assert (window.in_flight, consumer.paused) == (2, set())


async def test_revocation_drops_waiting_messages_and_keeps_long_ones_running_once() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    window = Window("w", limit=10, grace_s=0.05)
    for offset, key in enumerate([b"a", b"b", b"c", b"a"]):
        window.accept(handlers.delivery(P0, offset, key), consumer)
    await settle()
    await handlers.finish(P0, 1)  # done, but behind 0: not committed
    assert consumer.committed.get(P0) in (None, 0)

    await window.revoked({P0})  # 0 and 2 outlive the grace; 3 waited behind 0: dropped
    assert handlers.running() == {(P0, 0), (P0, 2)}
    assert window.in_flight == 2, "still running, still held"

    # The partition comes back: Kafka hands out everything from the commit again.
    window.assigned({P0})
    for offset, key in enumerate([b"a", b"b", b"c", b"a"]):
        window.accept(handlers.delivery(P0, offset, key), consumer)
    await settle()
    assert sorted(handlers.started) == [(P0, 0), (P0, 1), (P0, 2)], "nothing ran twice"
    await handlers.finish(P0, 0)  # its end counts for the redelivered 0; then 3 runs
    await handlers.finish(P0, 2)
    await handlers.finish(P0, 3)
    assert sorted(handlers.started) == [(P0, 0), (P0, 1), (P0, 2), (P0, 3)]
    assert consumer.committed == {P0: 4}


async def test_revocation_gives_quick_handlers_their_grace_and_commits_them() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    window = Window("w", limit=10, grace_s=5)
    window.accept(handlers.delivery(P0, 7, b"a"), consumer)
    await settle()
    revoking = asyncio.create_task(window.revoked({P0}))
    await settle()
    assert not revoking.done(), "waits for the running handler"
    await handlers.finish(P0, 7)
    await revoking
    assert consumer.committed == {P0: 8}


async def test_shutdown_cancels_what_outlives_the_grace_and_commits_only_what_finished() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    window = Window("w", limit=10, grace_s=0.05)
    for offset in range(3):
        window.accept(handlers.delivery(P0, offset, f"s{offset}".encode()), consumer)
    await settle()
    await handlers.finish(P0, 0)
    await window.drain()
    assert consumer.committed == {P0: 1}, "1 and 2 were cancelled: received again later"
    assert window.in_flight == 0
    assert consumer.paused == {P0}
    window.accept(handlers.delivery(P0, 3, b"late"), consumer)
    assert window.in_flight == 0, "nothing is taken once draining"


async def test_a_refused_commit_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window_module, "COMMIT_RETRY_S", 0.01)
    consumer, handlers = FakeConsumer(P0), Handlers()
    consumer.refuse_commits = 2
    window = Window("w", limit=10, grace_s=1)
    window.accept(handlers.delivery(P0, 0, b"a"), consumer)
    await settle()
    await handlers.finish(P0, 0)
    await asyncio.sleep(0.1)
    assert consumer.committed == {P0: 1}


async def test_a_handler_that_raises_leaves_its_message_uncommitted_and_frees_its_key() -> None:
    consumer = FakeConsumer(P0)
    window = Window("w", limit=10, grace_s=1)
    ran: list[int] = []

    async def broken() -> None:
        raise RuntimeError("a bug below the guard")

    async def fine() -> None:
        ran.append(1)

    window.accept(Delivery(P0, 0, b"a", broken), consumer)
    window.accept(Delivery(P0, 1, b"a", fine), consumer)
    await settle()
    assert ran == [1]
    assert consumer.committed.get(P0) in (None, 0)


async def test_the_refill_hook_fires_only_once_messages_have_finished() -> None:
    consumer, handlers = FakeConsumer(P0), Handlers()
    fired: list[int] = []
    window = Window("w", limit=2, grace_s=1, on_refill=lambda: fired.append(window.in_flight))
    window.accept(handlers.delivery(P0, 0, b"a"), consumer)
    window.accept(handlers.delivery(P0, 1, b"b"), consumer)
    await settle()
    assert fired == [], "full, but nothing finished yet"
    await handlers.finish(P0, 0)
    window.accept(handlers.delivery(P0, 2, b"c"), consumer)
    assert fired == [2]
