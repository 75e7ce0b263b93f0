"""A process holds at most ``CTS_MONGODB_MAX_CONNECTIONS`` operations at the server at once:
a burst of concurrent handlers waits for a connection instead of becoming a burst of
concurrent writes (FerretDB v1 stopped answering a database under about 150 of them)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from cts_runtime.settings import MongoSettings
from cts_store import connect
from cts_testing.stack import Endpoints
from cts_testing.tcp_proxy import TcpProxy

BURST = 120
MONITORS = 2
"""The driver's own connections beside the pool: the server monitor and its RTT monitor."""


async def _burst(endpoints: Endpoints, namespace: str, max_connections: int) -> int:
    """``BURST`` writes at once through one client; the most connections the server saw."""
    server = urlsplit(endpoints.mongodb_uri)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 27017)
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
