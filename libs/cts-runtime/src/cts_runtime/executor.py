"""The shared shape of an executor service: consume ``StepRequested``, run the step with a
deadline, answer ``StepCompleted``. A service supplies only its ``StepRunner``; which steps it
runs, and the topic it reads them from, come from the step registry (``cts_core.steps``)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cachetools import LRUCache
from faststream.kafka import KafkaBroker

from cts_contracts import (
    Executor,
    ResultStatus,
    StepCompleted,
    StepCompletedData,
    StepData,
    StepRequested,
)
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import STEP_COMPLETED, topic
from cts_core import command_topic, kind_of
from cts_runtime.logs import bound, get_logger
from cts_runtime.settings import ServiceSettings
from cts_runtime.subscribe import subscribe

log = get_logger(__name__)


@dataclass(frozen=True)
class StepOutcome:
    status: ResultStatus
    summary: str
    error_message: str | None = None
    data: StepData | None = None

    @classmethod
    def ok(cls, summary: str, data: StepData | None = None) -> StepOutcome:
        return cls(ResultStatus.OK, summary, None, data)

    @classmethod
    def error(
        cls, summary: str, message: str | None = None, data: StepData | None = None
    ) -> StepOutcome:
        return cls(ResultStatus.ERROR, summary, message or summary, data)

    @classmethod
    def transient(cls, summary: str, message: str | None = None) -> StepOutcome:
        return cls(ResultStatus.TRANSIENT, summary, message or summary)


class NoAnswer(Exception):
    """Raised by a runner when another instance owns this interaction (a redelivery while the
    first run is still alive): the harness publishes nothing and acknowledges the message."""


StepRunner = Callable[[StepRequestedData], Awaitable[StepOutcome]]


def completion(
    command: StepRequestedData,
    outcome: StepOutcome,
    *,
    executor: str,
    started_at: datetime,
    kind: Executor | None = None,
) -> StepCompleted:
    """The answer to ``command``, from an executor of ``kind`` (default: the one the registry
    names for the step)."""
    return StepCompleted(
        source=f"cts/{executor}",
        subject=command.session_id,
        data=StepCompletedData(
            account_id=command.account_id,
            project_id=command.project_id,
            session_id=command.session_id,
            interaction_id=command.interaction_id,
            step=command.step,
            status=outcome.status,
            summary=outcome.summary[:4000],
            error_message=outcome.error_message[:4000] if outcome.error_message else None,
            data=outcome.data,
            executor=executor,
            executor_kind=kind or kind_of(command.step).executor,
            started_at=started_at,
            completed_at=datetime.now(UTC),
        ),
    )


async def execute(
    command: StepRequestedData, runner: StepRunner, *, deadline_s: float
) -> StepOutcome:
    """Run one step; a deadline or an unexpected crash becomes a ``transient`` answer so the
    orchestrator's bounded retries decide, instead of the message looping here."""
    remaining = min(deadline_s, (command.deadline - datetime.now(UTC)).total_seconds())
    if remaining <= 0:
        return StepOutcome.transient("the step's deadline passed before it started")
    try:
        return await asyncio.wait_for(runner(command), timeout=remaining)
    except NoAnswer:
        raise
    except TimeoutError:
        return StepOutcome.transient(f"the step exceeded its deadline ({remaining:.0f}s)")
    except Exception as exc:
        log.exception("step runner crashed")
        return StepOutcome.transient(f"executor error: {type(exc).__name__}: {exc}"[:1000])


RECENT_ANSWERS = 10_000
"""Completions a process remembers, by interaction id (newest kept). Kafka redelivers a
command after a rebalance or an outbox re-send; answering from memory keeps an executor from
doing the same step twice in one process. Across processes the executor's own claim (or the
step's idempotence) takes over."""


class _Harness:
    def __init__(
        self, broker: KafkaBroker, settings: ServiceSettings, executor: Executor, runner: StepRunner
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._executor = executor
        self._runner = runner
        self._results_topic = topic(STEP_COMPLETED, settings.topic_prefix)
        self._answered: LRUCache[str, StepCompleted] = LRUCache(maxsize=RECENT_ANSWERS)

    async def on_command(self, event: StepRequested) -> None:
        command = event.data
        with bound(session_id=command.session_id, interaction_id=command.interaction_id,
                   step=command.step.value):  # fmt: skip
            previous = self._answered.get(command.interaction_id)
            if previous is not None:
                log.info("duplicate command: answering again without re-running the step")
                await self._answer(previous)
                return
            started_at = datetime.now(UTC)
            log.info("step started", attempt=command.attempt)
            try:
                outcome = await self._run(command)
            except NoAnswer as skip:
                log.info("not answering: another instance owns this interaction", why=str(skip))
                return
            answer = completion(command, outcome, executor=self._settings.instance_id,
                                started_at=started_at, kind=self._executor)  # fmt: skip
            if self._settings.fault_kill_before_answer is command.step:
                log.warning("fault injection: SIGKILL after the step, before its answer")
                os.kill(os.getpid(), signal.SIGKILL)
            await self._answer(answer)
            self._answered[command.interaction_id] = answer
            log.info("step completed", status=outcome.status.value, summary=outcome.summary[:200])

    async def _run(self, command: StepRequestedData) -> StepOutcome:
        if kind_of(command.step).executor is not self._executor:
            return StepOutcome.error(
                "wrong executor",
                f"the {self._executor.value} executor does not run {command.step.value}",
            )
        return await execute(command, self._runner, deadline_s=self._settings.step_deadline_s)

    async def _answer(self, answer: StepCompleted) -> None:
        key = answer.data.session_id.encode()
        await self._broker.publish(answer, topic=self._results_topic, key=key)


def register_executor(
    broker: KafkaBroker, settings: ServiceSettings, *, executor: Executor, runner: StepRunner
) -> None:
    """Run ``executor``'s steps (its commands' topic, from the registry) with ``runner``."""
    harness = _Harness(broker, settings, executor, runner)
    subscribe(broker, settings, topic_name=command_topic(executor), model=StepRequested,
              handler=harness.on_command, group=settings.service_name)  # fmt: skip
