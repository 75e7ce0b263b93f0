"""WriteBehind's bookkeeping, against a recording store: coalescing, ordering by version,
and nothing lost when a write fails."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from cts_core import Session
from cts_store import SessionStore, WriteBehind
from cts_store.write_behind import DEFAULT_BATCH, MAX_BATCH
from cts_testing.session_builders import start


class RecordingStore:
    def __init__(self) -> None:
        self.writes: list[list[tuple[str, int]]] = []
        self.fail_next = False
        self.slow: asyncio.Event | None = None
        """When set, ``unsuperseded`` waits for it (a flush in the middle of its work)."""
        self.followed: set[tuple[str, int]] = set()
        """(session, version) whose next version another writer claimed."""

    async def unsuperseded(self, sessions: list[Session]) -> list[Session]:
        if self.slow is not None:
            await self.slow.wait()
        return [s for s in sessions if (s.id, s.version) not in self.followed]

    async def write_documents(self, sessions: list[Session]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database away")
        self.writes.append([(s.id, s.version) for s in sessions])


def at(session: Session, version: int) -> Session:
    return session.model_copy(update={"version": version})


def writer(store: RecordingStore, delay_s: float = 1.0, batch: int = DEFAULT_BATCH) -> WriteBehind:
    return WriteBehind(cast(SessionStore, store), delay_s=delay_s, batch=batch)


async def test_several_versions_of_a_session_cost_one_write_of_the_newest() -> None:
    store = RecordingStore()
    documents = writer(store)
    s = start()
    for version in (1, 2, 3):
        await documents.later(at(s, version))
    await documents.later(at(s, 2))  # a late, older one never replaces the newer

    assert store.writes == []
    assert await documents.flush() == 1
    assert store.writes == [[(s.id, 3)]]


async def test_a_version_another_writer_followed_is_not_written() -> None:
    store = RecordingStore()
    documents = writer(store)
    taken_over, mine = start(), start()
    await documents.later(at(taken_over, 3))
    await documents.later(at(mine, 3))
    store.followed.add((taken_over.id, 3))

    await documents.flush()
    assert store.writes == [[(mine.id, 3)]]
    assert documents.pending == 0


async def test_sessions_are_written_in_bulk_of_at_most_batch() -> None:
    store = RecordingStore()
    documents = writer(store, batch=2)
    sessions = [start() for _ in range(5)]
    for s in sessions:
        await documents.later(at(s, 1))

    assert await documents.flush() == 5
    assert [len(chunk) for chunk in store.writes] == [2, 2, 1]


async def test_a_failed_write_keeps_its_documents_unless_a_newer_version_came() -> None:
    store = RecordingStore()
    documents = writer(store)
    a, b = start(), start()
    await documents.later(at(a, 1))
    await documents.later(at(b, 1))
    store.fail_next = True

    with pytest.raises(ConnectionError):
        await documents.flush()
    await documents.later(at(a, 2))
    assert documents.pending == 2
    assert await documents.flush() == 2
    assert sorted(store.writes[0]) == sorted([(a.id, 2), (b.id, 1)])


async def test_now_writes_at_once_and_drops_the_older_pending_version() -> None:
    store = RecordingStore()
    documents = writer(store)
    s = start()
    await documents.later(at(s, 1))
    await documents.now(at(s, 2))

    assert store.writes == [[(s.id, 2)]]
    assert documents.pending == 0


async def test_without_a_delay_every_version_is_written_before_later_returns() -> None:
    store = RecordingStore()
    documents = writer(store, delay_s=0)
    s = start()
    await documents.later(at(s, 1))
    assert store.writes == [[(s.id, 1)]]
    assert documents.pending == 0


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="delay_s"):
        writer(RecordingStore(), delay_s=-1)


async def test_an_end_written_during_a_flush_lands_after_the_older_version() -> None:
    """The flush took version 2 and is between its check and its write when the session's
    end (version 3) is written: the end waits, so the document ends at version 3."""
    store = RecordingStore()
    documents = writer(store)
    s = start()
    await documents.later(at(s, 2))
    store.slow = asyncio.Event()
    flushing = asyncio.create_task(documents.flush())
    await asyncio.sleep(0)  # the flush has taken version 2 and waits in its check
    ending = asyncio.create_task(documents.now(at(s, 3)))
    await asyncio.sleep(0.01)
    store.slow.set()
    await asyncio.gather(flushing, ending)
    assert store.writes == [[(s.id, 2)], [(s.id, 3)]]


async def test_a_burst_is_written_in_bulks_ferretdb_can_take() -> None:
    store = RecordingStore()
    documents = writer(store)
    for _ in range(150):
        await documents.later(at(start(), 1))
    assert await documents.flush() == 150
    assert sum(len(bulk) for bulk in store.writes) == 150
    assert max(len(bulk) for bulk in store.writes) <= DEFAULT_BATCH <= MAX_BATCH < 100


def test_a_bulk_that_would_hang_ferretdb_is_refused() -> None:
    with pytest.raises(ValueError, match="hang FerretDB"):
        writer(RecordingStore(), batch=100)


async def test_ends_asked_while_one_is_written_share_the_next_bulk() -> None:
    """Sessions ending together: the first end is written at once, the ones asked meanwhile
    together (the newest version of each), in bulks of at most the batch, and every caller
    returns only once its document is written."""
    store = RecordingStore()
    documents = writer(store, batch=3)
    first, *others = [start() for _ in range(5)]
    store.slow = asyncio.Event()
    await documents.later(at(first, 1))
    flushing = asyncio.create_task(documents.flush())  # holds the writes, as a flush does
    await asyncio.sleep(0)
    ending = [asyncio.create_task(documents.now(at(s, 2))) for s in [first, *others]]
    ending.append(asyncio.create_task(documents.now(at(others[0], 3))))
    ending.append(asyncio.create_task(documents.now(at(others[1], 1))))  # older: not written
    await asyncio.sleep(0.01)
    assert not any(task.done() for task in ending)
    store.slow.set()
    await asyncio.gather(flushing, *ending)
    assert store.writes[0] == [(first.id, 1)]
    written = [write for bulk in store.writes[1:] for write in bulk]
    assert sorted(written) == sorted(
        [(first.id, 2), (others[0].id, 3), (others[1].id, 2), (others[2].id, 2), (others[3].id, 2)]
    )
    assert [len(bulk) for bulk in store.writes[1:]] == [3, 2]


async def test_a_failed_end_write_fails_each_of_its_callers() -> None:
    store = RecordingStore()
    documents = writer(store)
    store.fail_next = True
    with pytest.raises(ConnectionError):
        await documents.now(at(start(), 1))
    s = start()
    await documents.now(at(s, 1))
    assert store.writes == [[(s.id, 1)]]
