"""Reliability suite fixtures: a database handle on any stack, and a private stack instance
for the scenarios that restart Kafka or FerretDB (never the shared one)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from cts_testing.stack import Endpoints, PrivateStack, kafka_auth_wanted


@contextlib.asynccontextmanager
async def database(endpoints: Endpoints, name: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        endpoints.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=20_000
    )
    try:
        yield client[name]
    finally:
        await client.close()


@pytest.fixture(scope="module")
def private_stack() -> Iterator[PrivateStack]:
    """Kafka + FerretDB of this module alone: own directory (short, under /tmp: FerretDB's
    socket paths and Kafka's logs stay small), own free ports, stopped by pid at the end."""
    directory = Path(tempfile.mkdtemp(prefix="cts-rel-stack-"))
    stack = PrivateStack(directory, auth=kafka_auth_wanted())
    stack.up()
    try:
        yield stack
    finally:
        with contextlib.suppress(Exception):
            stack.down()
        shutil.rmtree(directory, ignore_errors=True)
