"""The security tier: generated tests written as an attacker would write them, run through the
real test-runner and git-committer processes (real Kafka, real git, real ``mix test``).

A session here is driven by hand, step by step, the way the orchestrator would: Initialize
through the git-committer, the attack written into the working tree where the agent writes,
RunTests through the test-runner, Finalize through the git-committer. No model is involved:
what the model could write is exactly what these tests write.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import Expect, Step, StepRequested
from cts_contracts.naming import branch_name
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import (
    DEADLETTER,
    GIT_STEP_REQUESTED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_testing.factories import session_request, step_request
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints
from tests.reliability.fleet import Fleet, fleet
from tests.reliability.harness import events_of, observer

MODULE = "MyApp.Accounts.UserRegistration"
TEST_FILE = "test/my_app/accounts/user_registration_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_registration_fixtures.ex"
CANARIES = {
    "ANTHROPIC_API_KEY": f"sk-ant-canary-{uuid.uuid4().hex}",
    "CTS_KAFKA_SASL_PASSWORD": f"kafka-canary-{uuid.uuid4().hex}",
    "AWS_SECRET_ACCESS_KEY": f"aws-canary-{uuid.uuid4().hex}",
}
"""Secrets the test-runner and git-committer hold: none may ever reach a generated test."""


@dataclass
class Target:
    """The executors as processes, and a way to drive one session's steps through them."""

    fleet: Fleet
    events: Collector
    repo_url: str
    bare: Path
    _steps: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.fleet.root / "workspaces"

    def workspace(self, command: StepRequestedData) -> Path:
        return self.root / command.workspace

    def command(
        self, session: StepRequestedData | None, step: Step, **overrides: Any
    ) -> StepRequestedData:
        """The next command of ``session`` (a new session when ``None``)."""
        if session is None:
            request = session_request(
                account_id=overrides.pop("account_id", "acme"),
                project_id=overrides.pop("project_id", "shop"),
                component={"module_name": MODULE, "type": "service"},
                repository={"url": self.repo_url, "base_ref": "main", "push": True},
            )
            base = step_request(
                step,
                account_id=request.account_id,
                project_id=request.project_id,
                session_id=request.session_id,
                workspace=f"{request.account_id}/{request.project_id}/{request.session_id}",
                component=request.component,
                repository=request.repository,
                branch=branch_name(request.component.name),
                expect=Expect.RED,  # as the orchestrator sends it: the sample's is not written
            )
        else:
            base = session
        count = self._steps.get(base.session_id, 0) + 1
        self._steps[base.session_id] = count
        data = base.model_dump() | {
            "step": step,
            "interaction_id": f"{base.session_id}.{count:03d}",
            **overrides,
        }
        return StepRequestedData.model_validate(data)

    async def send(
        self, command: StepRequestedData, *, within: float = 120, **raw: Any
    ) -> dict[str, Any]:
        await self.publish(command, **raw)
        return await self.answer(command.interaction_id, within=within)

    async def publish(self, command: StepRequestedData, **raw: Any) -> None:
        """Publish ``command`` to its executor and return its ``StepCompleted`` data. ``raw``
        fields replace the command's in the published JSON, unvalidated: what a producer
        other than the orchestrator could put on the topic."""
        git = command.step in (Step.INITIALIZE, Step.FINALIZE)
        base = GIT_STEP_REQUESTED if git else TESTS_STEP_REQUESTED
        event = StepRequested(source="cts/security", subject=command.session_id, data=command)
        body = event.model_dump(mode="json")
        body["data"].update(raw)
        await publish(
            self.fleet.endpoints.kafka_bootstrap_servers,
            topic(base, self.fleet.prefix),
            json.dumps(body).encode(),
            key=command.session_id,
            security=self.fleet.endpoints.kafka_options("orchestrator"),
        )

    async def dead_letter(self, key: str, *, within: float = 60) -> dict[str, Any]:
        """The dead letter of a message published with ``key``."""
        letters = topic(DEADLETTER, self.fleet.prefix)
        await self.events.wait_for(
            lambda _: any(e.get("key") == key for e in self.events.on(letters)), within=within
        )
        return next(e for e in self.events.on(letters) if e.get("key") == key)

    async def answer(self, interaction_id: str, *, within: float) -> dict[str, Any]:
        results = topic(STEP_COMPLETED, self.fleet.prefix)

        def answered(_: object) -> bool:
            return any(
                e["data"]["interaction_id"] == interaction_id for e in self.events.on(results)
            )

        try:
            await self.events.wait_for(answered, within=within)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.fleet.logs(40)}") from None
        found: dict[str, Any] = next(
            e["data"]
            for e in self.events.on(results)
            if e["data"]["interaction_id"] == interaction_id
        )
        return found

    async def initialize(self, **overrides: Any) -> StepRequestedData:
        command = self.command(None, Step.INITIALIZE, **overrides)
        answer = await self.send(command)
        assert answer["status"] == "ok", answer
        return command

    def write(self, command: StepRequestedData, relative: str, text: str) -> None:
        """As the agent writes: into the session's working tree."""
        path = self.workspace(command) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def everything_published(self) -> str:
        """Every event the executors published, as text: where a leaked secret would show."""
        return "\n".join(json.dumps(value) for _, value in self.events.events)

    def leaked(self) -> list[str]:
        text = self.everything_published()
        return [name for name, secret in CANARIES.items() if secret in text]


@pytest.fixture(scope="module")
async def target(
    stack: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Target]:
    root = tmp_path_factory.mktemp("security")
    async with fleet(stack, root, [], roles=("git", "tests"), env=dict(CANARIES)) as running:
        repo_url, bare = running.repository("app")
        async with observer(stack, running.prefix) as events:
            yield Target(running, events, repo_url, bare)


__all__ = ["CANARIES", "FIXTURE_FILE", "MODULE", "TEST_FILE", "Target", "events_of"]
