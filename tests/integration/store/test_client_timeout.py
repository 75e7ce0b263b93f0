"""Every database operation is bounded: a server that takes a command and never answers costs
a timeout the message guard redelivers, not a consumer stalled for good."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from cts_runtime.guard import RETRYABLE
from cts_store import connect
from cts_testing.stack import Endpoints
from cts_testing.tcp_proxy import TcpProxy


@pytest.fixture
async def proxy(stack: Endpoints) -> AsyncIterator[tuple[TcpProxy, int]]:
    where = urlsplit(stack.mongodb_uri)
    stalling = TcpProxy(where.hostname or "127.0.0.1", where.port or 27017)
    port = await stalling.start()
    yield stalling, port
    await stalling.close()


async def test_an_operation_the_server_never_answers_fails_as_retryable_within_its_bound(
    proxy: tuple[TcpProxy, int],
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
