"""Instant scripted executors on the real broker, for orchestrator tests and benchmarks.

They run the real executor harness (``register_executor``) with a scripted runner, so the
only fake part is the work itself.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from faststream import FastStream

from cts_contracts import Executor
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.broker import make_broker
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.settings import ServiceSettings
from cts_testing.answers import sample_data, sample_summary

Script = Callable[[StepRequestedData, int], StepOutcome | None]
"""(command, how many times this session's step was seen before) -> outcome; None = default."""


def default_outcome(command: StepRequestedData) -> StepOutcome:
    return StepOutcome.ok(sample_summary(command.step), sample_data(command.step))


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
        kafka: dict[str, Any] | None = None,
    ) -> None:
        """``kafka``: Kafka settings fields beyond the bootstrap servers (an authenticated
        stack's credentials, ``Endpoints.kafka_fields``)."""
        self.seen: Counter[tuple[str, str]] = Counter()
        self.commands: list[StepRequestedData] = []
        self._script = script
        self._delay = delay
        self._broker = make_broker(
            ServiceSettings(kafka_bootstrap_servers=bootstrap, **(kafka or {})),
            client_id="fake-executors",
        )
        for executor in Executor:
            if executor.value not in roles:  # a real executor plays that role
                continue
            settings = ServiceSettings(
                kafka_bootstrap_servers=bootstrap, topic_prefix=topic_prefix, **(kafka or {}),
                group_prefix=group_prefix, service_name=f"fake-{executor.value}",
                step_deadline_s=60,
            )  # fmt: skip
            register_executor(self._broker, settings, executor=executor, runner=self._run)
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
