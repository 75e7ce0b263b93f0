"""Every database operation is bounded: a server that takes a command and never answers costs
a timeout the message guard redelivers, not a consumer stalled for good."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from cts_runtime.guard import RETRYABLE
from cts_store import connect
from cts_testing.stack import Endpoints


class StallingProxy:
    """Forwards to the real server until ``stall()``; from then on it swallows every reply."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.stalled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def stall(self) -> None:
        self.stalled = True

    async def close(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self._target)
        for task in (
            asyncio.create_task(self._pipe(client_r, server_w, replies=False)),
            asyncio.create_task(self._pipe(server_r, client_w, replies=True)),
        ):
            self._tasks.add(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if replies and self.stalled:
                    continue
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def proxy(stack: Endpoints) -> AsyncIterator[tuple[StallingProxy, int]]:
    where = urlsplit(stack.mongodb_uri)
    stalling = StallingProxy(where.hostname or "127.0.0.1", where.port or 27017)
    port = await stalling.start()
    yield stalling, port
    await stalling.close()


async def test_an_operation_the_server_never_answers_fails_as_retryable_within_its_bound(
    proxy: tuple[StallingProxy, int],
) -> None:
    stalling, port = proxy
    client = connect(f"mongodb://127.0.0.1:{port}/", app_name="cts-tests", timeout_s=1.0)
    try:
        sessions = client["cts_timeout_test"]["sessions"]
        await sessions.find_one({"_id": "warm"})  # answered: the connection is up

        stalling.stall()
        started = time.monotonic()
        with pytest.raises(RETRYABLE) as raised:
            await sessions.find_one({"_id": "anything"})
        took = time.monotonic() - started
    finally:
        stalling.stalled = False
        await client.close()

    assert took < 5.0, f"bounded by the 1 s timeout, took {took:.1f} s"
    assert (
        "timed out" in str(raised.value).lower() or "timeout" in type(raised.value).__name__.lower()
    )
