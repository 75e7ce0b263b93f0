"""One ``AsyncMongoClient`` per process, opened in a service lifespan."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

DEFAULT_TIMEOUT_S = 30.0
"""Longest any one database operation may take. Without a bound, a server that accepts a
command and never answers stalls a consumer for good; with it the operation fails as a
timeout, which the message guard redelivers."""


DEFAULT_MAX_CONNECTIONS = 8
"""Operations one process has at the server at once. Handlers beyond it wait for a connection
(inside ``timeout_s``): a window of 64 handlers must not become 64 concurrent writes, which
FerretDB v1 answers more slowly each and, past about 150 at once, not at all."""


def connect(
    uri: str,
    *,
    app_name: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> AsyncMongoClient[dict[str, Any]]:
    """Timezone-aware (stored datetimes come back as UTC), quick to report an absent server,
    every operation bounded by ``timeout_s`` and at most ``max_connections`` at once."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        appname=app_name,
        serverSelectionTimeoutMS=5000,
        timeoutMS=int(timeout_s * 1000),
        maxPoolSize=max_connections,
    )
