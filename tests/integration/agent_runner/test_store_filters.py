"""What the agent-runner's stores send the real server: a step's transcript and claim reads and
writes address their document by ``_id`` alone (FerretDB v1 decodes every document of the
collection for any other filter), and the tenant still fences every one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import DuplicateKeyError

from cts_agent_runner.claims import ClaimConflict, Claimed, ClaimKey, Completed, MongoClaims
from cts_agent_runner.transcripts import Checkpoint, MongoTranscripts, Transcript
from cts_runtime.executor import StepOutcome
from cts_testing.stack import Endpoints

KEY = ClaimKey("acme", "shop", "session-1", "session-1.002")
MESSAGES = [
    {"role": "user", "content": [{"type": "text", "text": "go"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
]


class Filters(monitoring.CommandListener):
    """The filter of every find and update, per collection."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if event.command_name == "find":
            self.seen.append(("find", command["find"], dict(command["filter"])))
        elif event.command_name == "update":
            for update in command["updates"]:
                self.seen.append(("update", command["update"], dict(update["q"])))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(stack: Endpoints, mongo_db: Any) -> AsyncIterator[tuple[Any, Filters]]:
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stack.mongodb_uri, tz_aware=True, event_listeners=[filters]
    )
    try:
        yield client[mongo_db.name], filters
    finally:
        await client.close()


def _checkpoint(turns: int) -> Checkpoint:
    return Checkpoint(step="generate_tests_and_fixtures", fix_attempt=0,
                      interaction_id=KEY.interaction_id, messages=MESSAGES, written=[],
                      turns=turns)  # fmt: skip


async def test_a_steps_transcript_and_claim_go_by_id_alone(
    watched: tuple[Any, Filters],
) -> None:
    database, filters = watched
    transcripts = MongoTranscripts(database, block_cap=1000, total_cap=64 * 1024)
    claims = MongoClaims(database)
    tenant = (KEY.account_id, KEY.project_id, KEY.session_id)
    assert await claims.acquire(KEY, "me", 60) == Claimed(takeover=False)
    assert await transcripts.load(*tenant) is None
    for turns in (1, 2):
        await transcripts.save_checkpoint(*tenant, _checkpoint(turns))
    await transcripts.save(*tenant, transcript=Transcript(MESSAGES, [KEY.interaction_id]),
                           model="m")  # fmt: skip
    assert await claims.complete(KEY, "me", StepOutcome.ok("done"))
    redelivered = await claims.acquire(KEY, "another", 60)
    assert isinstance(redelivered, Completed)
    loaded = await transcripts.load(*tenant)
    assert loaded is not None
    assert loaded.messages == MESSAGES

    by_id = [(op, where) for op, collection, where in filters.seen
             if collection == "agent_transcripts" or op == "find"]  # fmt: skip
    assert len(by_id) >= 5
    assert all(set(where) == {"_id"} for _, where in by_id), by_id
    # The one exception: the claim's owner compare-and-set of its completion.
    completions = [w for op, c, w in filters.seen if (op, c) == ("update", "agent_claims")]
    assert [set(w) for w in completions] == [{"_id", "account_id", "project_id", "owner", "status"}]


async def test_another_tenants_transcript_and_claim_stay_fenced(mongo_db: Any) -> None:
    transcripts = MongoTranscripts(mongo_db, block_cap=1000, total_cap=64 * 1024)
    await transcripts.save("acme", "shop", "s-1", model="m",
                           transcript=Transcript(MESSAGES, ["i-1"]))  # fmt: skip
    # A fresh store (another replica) has checked nothing yet.
    other = MongoTranscripts(mongo_db, block_cap=1000, total_cap=64 * 1024)
    assert await other.load("evil", "shop", "s-1") is None
    with pytest.raises(DuplicateKeyError):
        await other.save_checkpoint("evil", "shop", "s-1", _checkpoint(1))
    with pytest.raises(DuplicateKeyError):
        await other.save("evil", "shop", "s-1", model="m", transcript=Transcript([], []))
    with pytest.raises(DuplicateKeyError):
        await transcripts.save_checkpoint("acme", "other", "s-1", None)
    stored = await transcripts.load("acme", "shop", "s-1")
    assert stored is not None
    assert (stored.messages, stored.checkpoint) == (MESSAGES, None)
    document = await mongo_db["agent_transcripts"].find_one({"_id": "s-1"})
    assert (document["account_id"], document["project_id"]) == ("acme", "shop")

    claims = MongoClaims(mongo_db)
    assert await claims.acquire(KEY, "me", 60) == Claimed(takeover=False)
    foreign = ClaimKey("evil", KEY.project_id, KEY.session_id, KEY.interaction_id)
    with pytest.raises(ClaimConflict):
        await claims.acquire(foreign, "them", 60)
    assert not await claims.complete(foreign, "me", StepOutcome.ok("stolen"))
