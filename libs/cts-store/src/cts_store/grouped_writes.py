"""Writes of concurrent callers sent to the store together, each told how its own went.

Every transition of every session claims its version with one insert, and with many sessions
at once those single writes were the store's load: FerretDB v1 on SQLite takes one write at a
time, and measured on the local stack 600 inserts of 600 bytes went in at 1,819/s one after
another, 1,311/s ten at a time (they queue on the one writer), and 10,127/s as ``insert_many``
of ten.

So one bulk write is in flight at a time per collection; what callers ask for meanwhile waits
and goes in the next ``bulk_write`` (``ordered=False``: every operation is tried, and the
store reports which failed by position). Nothing waits for a batch to fill: a lone caller's
write is sent at once, and batches form only while the store is busy. Each caller gets its own
answer: done, a duplicate key (``False``: an insert whose ``_id`` or other unique key is
taken), or the error of its operation or of the whole command. Only writes whose caller needs
no count back fit: a compare-and-set that reads ``matched_count`` stays a single write.

Every command keeps the client's operation timeout (``cts_store.connect``), so a caller waits
at most for the command in flight and the ones ahead of its own: with windows of a few dozen
messages per service, one or two.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

Document = dict[str, Any]
Write = InsertOne[Document] | ReplaceOne[Document] | UpdateOne

DUPLICATE_KEY = 11000
MAX_BATCH = 50
"""Operations per ``bulk_write``; FerretDB v1 stopped answering bulk writes of 100 or more
replacements (write_behind.py), and every grouped write is kept under the same bound."""


class GroupedWrites:
    def __init__(self, collection: AsyncCollection[Document], *, max_batch: int = MAX_BATCH):
        self._collection = collection
        self._max_batch = max_batch
        self._waiting: list[tuple[Write, asyncio.Future[bool]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def insert(self, document: Document) -> bool:
        """Insert ``document``; ``False`` if its ``_id`` (or another unique key) is taken."""
        return await self.write(InsertOne(document))

    async def write(self, operation: Write) -> bool:
        """Do ``operation``; ``False`` only for a duplicate key."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((operation, answer))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="grouped-writes")
        return await answer

    async def _send(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write(batch)
        finally:
            self._sender = None

    async def _write(self, batch: list[tuple[Write, asyncio.Future[bool]]]) -> None:
        failed: dict[int, Document] = {}
        try:
            await self._collection.bulk_write([operation for operation, _ in batch], ordered=False)
        except BulkWriteError as exc:
            failed = {error["index"]: error for error in exc.details.get("writeErrors", [])}
            if exc.details.get("writeConcernErrors"):
                _fail(batch, exc)
                return
        except asyncio.CancelledError:
            for _, answer in batch:
                answer.cancel()
            raise
        except Exception as exc:  # the whole command failed: each caller sees why
            _fail(batch, exc)
            return
        for index, (_, answer) in enumerate(batch):
            if answer.done():  # its caller gave up waiting; the write happened or not alike
                continue
            error = failed.get(index)
            if error is None:
                answer.set_result(True)
            elif error.get("code") == DUPLICATE_KEY:
                answer.set_result(False)
            else:
                answer.set_exception(
                    OperationFailure(str(error.get("errmsg", "")), error.get("code"), error)
                )


def _fail(batch: list[tuple[Write, asyncio.Future[bool]]], exc: Exception) -> None:
    for _, answer in batch:
        if not answer.done():
            answer.set_exception(exc)
