"""Fakes for the agent-runner's ports, reply builders and a small project, beside the tests."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cts_agent_runner.claims import Claimed, ClaimKey, ClaimState, Completed, Held
from cts_agent_runner.model import ModelFailure, ModelReply, ModelRequest, TokenUsage
from cts_agent_runner.transcripts import Checkpoint, Transcript
from cts_runtime.executor import StepOutcome

DESIGN = "docs/design/my_app/accounts/user_repository.md"
PARENT_DESIGN = "docs/design/my_app/accounts.md"
TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"

Reply = ModelReply | ModelFailure | Callable[[ModelRequest], ModelReply | Awaitable[ModelReply]]


def reply(*blocks: dict[str, Any], stop: str | None = None, tokens: int = 10) -> ModelReply:
    uses = any(b["type"] == "tool_use" for b in blocks)
    return ModelReply(
        content=list(blocks),
        stop_reason=stop or ("tool_use" if uses else "end_turn"),
        usage=TokenUsage(input=tokens, output=tokens, cache_read=tokens, cache_write=tokens),
        model="fake-model",
    )


def use(tool_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


class FakeModel:
    """Answers with the given replies in order; remembers every request (deep copies)."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[ModelRequest] = []

    async def create(self, request: ModelRequest) -> ModelReply:
        self.requests.append(copy.deepcopy(request))
        if not self.replies:
            raise AssertionError("the fake model ran out of replies")
        answer = self.replies.pop(0)
        if isinstance(answer, ModelFailure):
            raise answer
        if callable(answer):
            produced = answer(request)
            return await produced if inspect.isawaitable(produced) else produced
        return answer


class MemoryClaims:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def acquire(self, key: ClaimKey, owner: str, lease_s: float) -> ClaimState:
        doc = self.docs.get(key.interaction_id)
        if doc is None:
            self.docs[key.interaction_id] = {"owner": owner, "outcome": None, "live": True}
            return Claimed(takeover=False)
        if doc["outcome"] is not None:
            return Completed(doc["outcome"])
        if doc["live"]:
            return Held(doc["owner"], datetime.max)
        doc.update(owner=owner, live=True)
        return Claimed(takeover=True)

    async def renew(self, key: ClaimKey, owner: str, lease_s: float) -> bool:
        return bool(self.docs[key.interaction_id]["owner"] == owner)

    async def complete(self, key: ClaimKey, owner: str, outcome: StepOutcome) -> bool:
        self.docs[key.interaction_id]["outcome"] = outcome
        return bool(self.docs[key.interaction_id]["owner"] == owner)

    async def release(self, key: ClaimKey, owner: str) -> None:
        self.docs[key.interaction_id]["live"] = False


class MemoryTranscripts:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str, str], Transcript] = {}

    async def load(self, account_id: str, project_id: str, session_id: str) -> Transcript | None:
        return self.saved.get((account_id, project_id, session_id))

    async def save(
        self, account_id: str, project_id: str, session_id: str, *, transcript: Transcript,
        model: str,
    ) -> str:  # fmt: skip
        self.saved[(account_id, project_id, session_id)] = copy.deepcopy(
            Transcript(transcript.messages, transcript.interactions)
        )
        return session_id

    async def save_checkpoint(
        self, account_id: str, project_id: str, session_id: str, checkpoint: Checkpoint | None
    ) -> None:
        key = (account_id, project_id, session_id)
        current = self.saved.get(key, Transcript([], []))
        self.saved[key] = Transcript(current.messages, current.interactions,
                                     copy.deepcopy(checkpoint))  # fmt: skip


def write_project(root: Path) -> Path:
    files = {
        DESIGN: '# UserRepository\n\n## Test Assertions\n\n- describe "get/2"\n'
        '  - test "returns the user"\n',
        PARENT_DESIGN: "# MyApp.Accounts (context)\n\nOwns users.\n",
        "lib/my_app/accounts/user.ex": "defmodule MyApp.Accounts.User do\nend\n",
        "test/test_helper.exs": "ExUnit.start()\n",
        "README.md": "# MyApp\n\n[![CI](https://ci.example/badge.svg)](https://ci.example)\n\n"
        "A store for hand-made\nfurniture.\n\n## Setup\n\nRun mix setup.\n",
        "test/my_app/accounts/user_test.exs": "defmodule MyApp.Accounts.UserTest do\nend\n",
        "docs/rules/project.md": '---\ncomponent_type: repository\nsession_type: "*"\n---\n'
        "Use async: true.\n",
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root
