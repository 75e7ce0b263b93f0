"""One ``AsyncMongoClient`` per process, opened in a service lifespan."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

DEFAULT_TIMEOUT_S = 30.0
"""Longest any one database operation may take. Without a bound, a server that accepts a
command and never answers stalls a consumer for good; with it the operation fails as a
timeout, which the message guard redelivers."""


def connect(
    uri: str, *, app_name: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> AsyncMongoClient[dict[str, Any]]:
    """Timezone-aware (stored datetimes come back as UTC), quick to report an absent server,
    and every operation bounded by ``timeout_s``."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        appname=app_name,
        serverSelectionTimeoutMS=5000,
        timeoutMS=int(timeout_s * 1000),
    )
