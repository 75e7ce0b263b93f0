"""Session documents written a moment after their claims, coalesced per session.

A claim in ``session_versions`` is the record (``versions``): once it is in, every reader
returns the claimed version. The session document is then only a materialized view, there
for the queries (status, tenant, deadlines, outboxes), and writing it on every transition
cost more than the claim itself: FerretDB rewrites a whole document per update, and a
session gets several versions per second under load. So the orchestrator hands the
document to ``WriteBehind`` and the write happens within ``delay_s``, once per session
however many versions it claimed meanwhile.

Each write is the whole document of the latest version, never a diff: a diff is right only
on the version it was computed from, and a write-behind document may be behind, ahead
(another replica's write) or lost (a crash, a failed write). A whole document at version v
is right on anything, and whatever follows v is in the claims, which readers apply.

A version another writer has already followed is not written: that writer writes the
document itself (another replica took the session over), and the late write would put an
older session back for the queries until the next write of the session. What is left is the
moment between that check and the write, across replicas; within a process the writes take
turns (a session's end never lands before an older version a flush is still writing).

While the document trails, the queries that read it see the session a moment earlier:
still active (a session's end is written at once, ``now``), its outbox and deadline of the
step before. Recovery only misjudges that after a crash in the moment between claim and
write, and the claim's own message is then redelivered (its offset was not committed).
"""

from __future__ import annotations

import asyncio

from cts_core import Session
from cts_store.sessions import SessionStore

DEFAULT_BATCH = 50
"""Documents per bulk write: one round trip for a burst of sessions. Well under 100: FerretDB
v1 (SQLite) stops answering, every later command included, once one bulk write holds 100 or
more replacements (measured: 99 return in 0.3 s, 100 never return); a soak of 200 sessions
met that with its first flush and stalled."""
MAX_BATCH = 90


class WriteBehind:
    def __init__(self, store: SessionStore, *, delay_s: float, batch: int = DEFAULT_BATCH) -> None:
        """``delay_s == 0`` writes every version at once (``later`` waits for it)."""
        if delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"batch must be 1..{MAX_BATCH}: larger bulk writes hang FerretDB v1")
        self._store = store
        self.delay_s = delay_s
        self._batch = batch
        self._pending: dict[str, Session] = {}
        self._writing = asyncio.Lock()
        self._urgent: dict[str, tuple[Session, list[asyncio.Future[None]]]] = {}
        self._urgent_writer: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def later(self, session: Session) -> None:
        """Write ``session``'s document within ``delay_s`` (superseding an unwritten older
        version of it)."""
        if self.delay_s == 0:
            async with self._writing:
                await self._store.write_documents([session])
            return
        self._keep_newest(session)

    async def now(self, session: Session) -> None:
        """Write ``session``'s document before returning (a session's end: whoever hears of
        it may read the document directly). Sessions ending together are written together:
        what is asked while one write runs goes in the next bulk write, and each caller
        returns once the write holding its version (or a newer one) is done."""
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        newest, answers = self._urgent.get(session.id, (session, []))
        if newest.version < session.version:
            newest = session
        self._urgent[session.id] = (newest, [*answers, answer])
        if self._urgent_writer is None:
            self._urgent_writer = asyncio.create_task(self._write_urgent(), name="write-now")
        await answer

    async def _write_urgent(self) -> None:
        try:
            while self._urgent:
                async with self._writing:
                    taken, self._urgent = self._urgent, {}
                    sessions = [newest for newest, _ in taken.values()]
                    for session in sessions:
                        queued = self._pending.get(session.id)
                        if queued is not None and queued.version <= session.version:
                            del self._pending[session.id]
                    answers = [answer for _, waiting in taken.values() for answer in waiting]
                    try:
                        for start in range(0, len(sessions), self._batch):
                            await self._store.write_documents(sessions[start : start + self._batch])
                    except asyncio.CancelledError:
                        for answer in answers:
                            answer.cancel()
                        raise
                    except Exception as exc:  # each caller's step fails and is redelivered
                        _settle(answers, exc)
                        continue
                    _settle(answers, None)
        finally:
            self._urgent_writer = None

    async def flush(self) -> int:
        """Write the documents pending now (versions claimed meanwhile wait for the next
        flush, so a steady stream cannot keep one flush going). On failure the unwritten
        ones stay pending, unless a newer version arrived meanwhile, and the error is raised."""
        async with self._writing:
            taken = list(self._pending.values())
            self._pending = {}
            for start in range(0, len(taken), self._batch):
                try:
                    chunk = taken[start : start + self._batch]
                    await self._store.write_documents(await self._store.unsuperseded(chunk))
                except BaseException:
                    for session in taken[start:]:
                        self._keep_newest(session)
                    raise
            return len(taken)

    def _keep_newest(self, session: Session) -> None:
        queued = self._pending.get(session.id)
        if queued is None or queued.version <= session.version:
            self._pending[session.id] = session


def _settle(answers: list[asyncio.Future[None]], error: Exception | None) -> None:
    for answer in answers:
        if answer.done():  # its caller stopped waiting
            continue
        if error is None:
            answer.set_result(None)
        else:
            answer.set_exception(error)
