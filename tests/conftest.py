"""Shared fixtures: the real local stack (session-scoped) and a private namespace per test."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from cts_runtime.topics_admin import ensure_topics
from cts_store import connect
from cts_testing.kafka import delete_topics
from cts_testing.stack import Endpoints, PrivateStack, kafka_auth_wanted, local_stack

TIERS = ("unit", "integration", "e2e", "reliability", "security")

# bench/ and tools/ are top-level folders, not installed packages: importable in tests.
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder is the tier: tests/unit/... is marked ``unit`` and so on."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@contextlib.contextmanager
def _authenticated() -> Iterator[Endpoints]:
    directory = Path(tempfile.mkdtemp(prefix="cts-auth-stack-"))
    private = PrivateStack(directory, auth=True)
    private.up()
    try:
        yield private.endpoints
    finally:
        with contextlib.suppress(Exception):
            private.down()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[Endpoints]:
    with _authenticated() if kafka_auth_wanted() else local_stack() as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def authenticated_stack(stack: Endpoints) -> Iterator[Endpoints]:
    """A private stack whose Kafka requires SASL/SCRAM and enforces the ACLs (as
    ``make up KAFKA_AUTH=scram``): started once for the tests that need it, never the shared
    one. Its ``kafka_options``/``kafka_env`` give each principal's credentials."""
    if stack.kafka_auth is not None:
        yield stack
        return
    with _authenticated() as endpoints:
        yield endpoints


@pytest.fixture
def namespace() -> str:
    """Unique per test: database names, topic prefixes and consumer groups derive from it."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def mongo_client(stack: Endpoints) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client = connect(stack.mongodb_uri, app_name="cts-tests")  # as the services connect
    yield client
    await client.close()


@pytest.fixture
async def mongo_db(
    mongo_client: AsyncMongoClient[dict[str, Any]], namespace: str
) -> AsyncIterator[Any]:
    db = mongo_client[f"cts_{namespace}"]
    yield db
    await mongo_client.drop_database(db.name)


@pytest.fixture
async def topic_prefix(stack: Endpoints, namespace: str) -> AsyncIterator[str]:
    """A private copy of every CTS topic for this test, deleted at its end."""
    prefix = f"{namespace}."
    await ensure_topics(stack.kafka_bootstrap_servers, prefix=prefix, partitions=6)
    yield prefix
    with contextlib.suppress(Exception):
        await delete_topics(stack.kafka_bootstrap_servers, prefix)
