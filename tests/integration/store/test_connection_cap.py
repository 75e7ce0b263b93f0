"""A process holds at most ``CTS_MONGODB_MAX_CONNECTIONS`` operations at the server at once:
a burst of concurrent handlers waits for a connection instead of becoming a burst of
concurrent writes (FerretDB v1 stopped answering a database under about 150 of them)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from cts_runtime.settings import MongoSettings
from cts_store import connect
from cts_testing.stack import Endpoints

BURST = 120
MONITORS = 2
"""The driver's own connections beside the pool: the server monitor and its RTT monitor."""


class CountingProxy:
    """Forwards to the real server and remembers the most connections open at once."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.open = 0
        self.most = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most = max(self.most, self.open)
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        pumps = [
            asyncio.create_task(_pump(reader, up_writer)),
            asyncio.create_task(_pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.open -= 1
            for pump in pumps:
                pump.cancel()
            writer.close()
            up_writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()


async def _burst(endpoints: Endpoints, namespace: str, max_connections: int) -> int:
    """``BURST`` writes at once through one client; the most connections the server saw."""
    server = urlsplit(endpoints.mongodb_uri)
    proxy = CountingProxy(server.hostname or "127.0.0.1", server.port or 27017)
    port = await proxy.start()
    client = connect(
        f"mongodb://127.0.0.1:{port}/", app_name="cap-test", max_connections=max_connections
    )
    collection = client[f"cts_{namespace}"]["burst"]
    try:
        await asyncio.gather(
            *(
                collection.replace_one({"_id": f"d{i}"}, {"pad": "x" * 2000}, upsert=True)
                for i in range(BURST)
            )
        )
        assert await collection.count_documents({}) == BURST
        await client.drop_database(f"cts_{namespace}")
    finally:
        await client.close()
        await proxy.close()
    return proxy.most


async def test_a_burst_of_writes_uses_no_more_connections_than_the_cap(
    stack: Endpoints, namespace: str
) -> None:
    default = MongoSettings().mongodb_max_connections

    capped = await _burst(stack, namespace, default)
    wider = await _burst(stack, f"{namespace}w", 4 * default)

    assert capped <= default + MONITORS
    assert wider > default + MONITORS, "the burst is wide enough to need the cap"
