"""The reliability suite's parts: the four services (and the scripted model) as OS processes
on a given stack, crash helpers, the observer of every topic. The replayed conversations are
in ``conversations``, the invariants every session must satisfy in ``verdicts``.

Nothing here is a fake of a CTS part: Kafka, FerretDB, git, mix and the anthropic SDK are real;
only the model's answers are replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from cts_contracts.naming import branch_name, session_id_for
from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    DEADLETTER,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_runtime.kafka_acl_admin import apply_grants
from cts_runtime.kafka_acls import grants
from cts_runtime.topics_admin import ensure_topics
from cts_testing.kafka import Collector, delete_topics
from cts_testing.stack import Endpoints, repo_root

if TYPE_CHECKING:  # fleet.py imports this module
    from tests.reliability.fleet import Fleet

ROOT = repo_root()
FILES = ROOT / "examples" / "scripts" / "files"
MODULE = "MyApp.Accounts.UserRegistration"
TEST_FILE = "test/my_app/accounts/user_registration_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_registration_fixtures.ex"
BRANCH = branch_name("UserRegistration")
ACCOUNT, PROJECT = "rel", "my-app"

RED = ["initialize", "prepare_project", "generate_tests_and_fixtures", "run_tests", "finalize"]
RED_WITH_FIX = [
    "initialize",
    "prepare_project",
    "generate_tests_and_fixtures",
    "run_tests",
    "fix_compilation_errors",
    "run_tests",
    "finalize",
]

MARKER_ENV = "CTS_RELIABILITY_MARKER"
"""Passed through to the generated tests (``CTS_TEST_ENV_ALLOW``): their ``setup_all`` writes
this file and then sleeps, so "mix test is running now" is observable from outside."""

STARTED = "FastStream app started successfully"
ROLES = {
    "orchestrator": "cts_orchestrator",
    "git": "cts_git_committer",
    "agent": "cts_agent_runner",
    "tests": "cts_test_runner",
}
PRINCIPALS = {
    "orchestrator": "orchestrator",
    "git": "git-committer",
    "agent": "agent-runner",
    "tests": "test-runner",
}
"""Each role's Kafka principal on an authenticated stack (``cts_runtime.kafka_acls``)."""


def session_id(request_id: str, account: str = ACCOUNT, project: str = PROJECT) -> str:
    return session_id_for(account, project, request_id)


@contextlib.asynccontextmanager
async def fresh_topics(endpoints: Endpoints, tag: str, *, partitions: int) -> AsyncIterator[str]:
    """Topics of one test alone, ``rel<tag><random>.``, deleted after it."""
    name = f"rel{tag}{uuid.uuid4().hex[:8]}."
    await namespace_topics(endpoints, name, partitions=partitions)
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            await delete_topics(endpoints.kafka_bootstrap_servers, name,
                                endpoints.kafka_options())  # fmt: skip


async def namespace_topics(endpoints: Endpoints, prefix: str, *, partitions: int) -> None:
    """The topics of ``prefix`` and, on an authenticated stack, every principal's ACLs on
    them and on the consumer groups of the namespace (``<prefix without the dot>-...``)."""
    admin = endpoints.kafka_options()
    await ensure_topics(endpoints.kafka_bootstrap_servers, prefix=prefix, partitions=partitions,
                        security=admin)  # fmt: skip
    if endpoints.kafka_auth is not None:
        await apply_grants(endpoints.kafka_bootstrap_servers,
                           grants(prefix, prefix.rstrip(".")), admin)  # fmt: skip


def service_env(
    endpoints: Endpoints, prefix: str, principal: str = "orchestrator", **extra: str
) -> dict[str, str]:
    """A service's settings for the namespace of ``prefix`` (database, topics, groups), and
    on an authenticated stack ``principal``'s Kafka credentials."""
    namespace = prefix.rstrip(".")
    return {
        **endpoints.kafka_env(principal),
        "CTS_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": endpoints.mongodb_uri,
        "CTS_MONGODB_DATABASE": f"cts_{namespace}",
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_LOG_FORMAT": "console",
        **extra,
    }


def observer(endpoints: Endpoints, prefix: str) -> Collector:
    """Everything the suite judges by: commands, answers, finishes and dead letters."""
    names = (
        AGENT_STEP_REQUESTED,
        TESTS_STEP_REQUESTED,
        GIT_STEP_REQUESTED,
        STEP_COMPLETED,
        SESSION_FINISHED,
        DEADLETTER,
    )
    return Collector(endpoints.kafka_bootstrap_servers, *(topic(n, prefix) for n in names),
                     security=endpoints.kafka_options())  # fmt: skip


def events_of(events: Collector, base: str, session_id: str | None = None) -> list[dict[str, Any]]:
    found = [v for t, v in events.events if t.endswith(base)]
    if session_id is None:
        return found
    return [v for v in found if v.get("data", {}).get("session_id") == session_id]


async def wait_finished(
    events: Collector, session_ids: Iterable[str], *, within: float, fleet: Fleet | None = None
) -> None:
    wanted = set(session_ids)

    def done(seen: list[tuple[str, dict[str, Any]]]) -> bool:
        finished = {
            v.get("data", {}).get("session_id") for t, v in seen if t.endswith(SESSION_FINISHED)
        }
        return wanted <= finished

    try:
        await events.wait_for(done, within=within)
    except AssertionError as exc:
        logs = fleet.logs() if fleet else ""
        raise AssertionError(f"{str(exc)[:3000]}\n{logs}") from None


async def wait_until(predicate: Any, *, within: float, what: str, poll_s: float = 0.1) -> None:
    """Poll an async or sync predicate until it is truthy."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(poll_s)


# --- invariants -----------------------------------------------------------------------------
