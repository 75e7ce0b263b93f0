"""One ``AsyncMongoClient`` per process, opened in a service lifespan."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient


def connect(uri: str, *, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    """Timezone-aware (stored datetimes come back as UTC) and quick to report an absent server."""
    return AsyncMongoClient(uri, tz_aware=True, appname=app_name, serverSelectionTimeoutMS=5000)
