"""Instant scripted executors on the real broker, for orchestrator tests and benchmarks.

They run the real executor harness (``register_executor``) with a scripted runner, so the
only fake part is the work itself.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable

from faststream import FastStream

from cts_contracts import Step
from cts_contracts.step_completed import AgentData, FinalizeData, InitializeData, RunTestsData
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import AGENT_STEP_REQUESTED, GIT_STEP_REQUESTED, TESTS_STEP_REQUESTED
from cts_runtime.broker import make_broker
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.settings import ServiceSettings

Script = Callable[[StepRequestedData, int], StepOutcome | None]
"""(command, how many times this session's step was seen before) -> outcome; None = default."""


def default_outcome(command: StepRequestedData) -> StepOutcome:
    sha = "0" * 39 + "1"
    step = command.step
    if step is Step.INITIALIZE:
        return StepOutcome.ok("branch ready", InitializeData(branch=command.branch, base_sha=sha))
    if step in (Step.GENERATE_TESTS_AND_FIXTURES, Step.FIX_COMPILATION_ERRORS):
        return StepOutcome.ok(
            "files written",
            AgentData(step=step.value, files_written=[command.component.test_file]),
        )
    if step is Step.RUN_TESTS:
        return StepOutcome.ok("red as expected", RunTestsData(compiled=True, total=2, failed=2))
    return StepOutcome.ok(
        "committed",
        FinalizeData(
            commit_sha="c" * 40, branch=command.branch, files=[command.component.test_file]
        ),
    )


class FakeExecutors:
    def __init__(
        self,
        bootstrap: str,
        *,
        topic_prefix: str,
        group_prefix: str,
        script: Script | None = None,
        delay: tuple[float, float] = (0.0, 0.0),
        roles: tuple[str, ...] = ("agent", "tests", "git"),
    ) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.commands: list[StepRequestedData] = []
        self._script = script
        self._delay = delay
        self._broker = make_broker(
            ServiceSettings(kafka_bootstrap_servers=bootstrap), client_id="fake-executors"
        )
        for name, command_topic in (
            ("agent", AGENT_STEP_REQUESTED),
            ("tests", TESTS_STEP_REQUESTED),
            ("git", GIT_STEP_REQUESTED),
        ):
            if name not in roles:  # a real executor plays that role
                continue
            settings = ServiceSettings(
                kafka_bootstrap_servers=bootstrap, topic_prefix=topic_prefix,
                group_prefix=group_prefix, service_name=f"fake-{name}", step_deadline_s=60,
            )  # fmt: skip
            register_executor(self._broker, settings, command_topic=command_topic, runner=self._run)
        self.app = FastStream(self._broker)

    async def _run(self, command: StepRequestedData) -> StepOutcome:
        key = (command.session_id, command.step.value)
        before = self.seen[key]
        self.seen[key] += 1
        self.commands.append(command)
        low, high = self._delay
        if high > 0:
            await asyncio.sleep(random.uniform(low, high))  # noqa: S311 - jitter, not crypto
        scripted = self._script(command, before) if self._script else None
        return scripted or default_outcome(command)

    async def __aenter__(self) -> FakeExecutors:
        await self._broker.connect()
        await self.app.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.stop()
