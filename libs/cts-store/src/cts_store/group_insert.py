"""Inserts of concurrent callers sent to the store together, each told whether its own went in.

Every transition of every session claims its version with one insert, and with many sessions
at once those inserts were the store's load: FerretDB v1 on SQLite takes one write at a time,
and measured on the local stack 600 inserts of 600 bytes went in at 1,819/s one after another,
1,311/s ten at a time (they queue on the one writer), and 10,127/s as ``insert_many`` of ten.

So one insert is in flight at a time; what callers ask for meanwhile waits and goes in the next
``insert_many`` (``ordered=False``: every document is tried, and the store reports which failed
by position). Nothing waits for a batch to fill: a lone caller's insert is sent at once, as
before, and batches form only while the store is busy. Each caller gets its own answer: in, a
duplicate key (``False``), or the error of its document or of the whole command.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

Document = dict[str, Any]

DUPLICATE_KEY = 11000
MAX_BATCH = 50
"""Documents per ``insert_many``; FerretDB v1 stopped answering bulk writes of 100 or more
replacements (write_behind.py), and inserts are kept under the same bound."""


class GroupInsert:
    def __init__(self, collection: AsyncCollection[Document], *, max_batch: int = MAX_BATCH):
        self._collection = collection
        self._max_batch = max_batch
        self._waiting: list[tuple[Document, asyncio.Future[bool]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def insert(self, document: Document) -> bool:
        """Insert ``document``; ``False`` if its ``_id`` (or another unique key) is taken."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((document, answer))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="group-insert")
        return await answer

    async def _send(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._insert(batch)
        finally:
            self._sender = None

    async def _insert(self, batch: list[tuple[Document, asyncio.Future[bool]]]) -> None:
        failed: dict[int, Document] = {}
        try:
            await self._collection.insert_many([doc for doc, _ in batch], ordered=False)
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
            if answer.done():  # its caller gave up waiting; the document went in or not alike
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


def _fail(batch: list[tuple[Document, asyncio.Future[bool]]], exc: Exception) -> None:
    for _, answer in batch:
        if not answer.done():
            answer.set_exception(exc)
