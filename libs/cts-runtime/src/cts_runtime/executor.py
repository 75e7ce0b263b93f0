"""The shared shape of an executor service: consume ``StepRequested``, run the step with a
deadline, answer ``StepCompleted``. A service supplies only its ``StepRunner``."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from cts_contracts import ResultStatus, StepCompleted, StepCompletedData, StepData, StepRequested
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import STEP_COMPLETED, topic
from cts_runtime.broker import consumer_options
from cts_runtime.decoding import decode, raw_body
from cts_runtime.guard import MessageGuard
from cts_runtime.logs import bound, get_logger
from cts_runtime.settings import ServiceSettings

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
    command: StepRequestedData, outcome: StepOutcome, *, executor: str, started_at: datetime
) -> StepCompleted:
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


class _RecentAnswers:
    """Completions this process published, by interaction id (bounded, newest kept).

    Kafka redelivers a command after a rebalance or an outbox re-publish; answering from here
    keeps an executor from doing the same step twice in one process. Across processes the
    executor's own claim (or the step's idempotence) takes over.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, StepCompleted] = OrderedDict()
        self._size = size

    def get(self, interaction_id: str) -> StepCompleted | None:
        return self._items.get(interaction_id)

    def put(self, interaction_id: str, event: StepCompleted) -> None:
        self._items[interaction_id] = event
        self._items.move_to_end(interaction_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def register_executor(
    broker: KafkaBroker,
    settings: ServiceSettings,
    *,
    command_topic: str,
    runner: StepRunner,
) -> None:
    """Subscribe ``runner`` to ``command_topic`` (a base name from ``cts_contracts.topics``)."""
    guard = MessageGuard(
        broker,
        consumer=settings.service_name,
        topic_prefix=settings.topic_prefix,
        max_failures=settings.max_handler_failures,
    )
    results_topic = topic(STEP_COMPLETED, settings.topic_prefix)
    answered = _RecentAnswers()

    async def on_step_requested(body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            command = decode(StepRequested, body).data
            with bound(
                session_id=command.session_id,
                interaction_id=command.interaction_id,
                step=command.step.value,
            ):
                previous = answered.get(command.interaction_id)
                if previous is not None:
                    log.info("duplicate command: answering again without re-running the step")
                    await broker.publish(
                        previous, topic=results_topic, key=command.session_id.encode()
                    )
                    return
                started_at = datetime.now(UTC)
                log.info("step started", attempt=command.attempt)
                try:
                    outcome = await execute(command, runner, deadline_s=settings.step_deadline_s)
                except NoAnswer as skip:
                    log.info("not answering: another instance owns this interaction", why=str(skip))
                    return
                event = completion(
                    command, outcome, executor=settings.instance_id, started_at=started_at
                )
                if settings.fault_kill_before_answer is command.step:
                    log.warning("fault injection: SIGKILL after the step, before its answer")
                    os.kill(os.getpid(), signal.SIGKILL)
                await broker.publish(event, topic=results_topic, key=command.session_id.encode())
                answered.put(command.interaction_id, event)
                log.info(
                    "step completed", status=outcome.status.value, summary=outcome.summary[:200]
                )

        await guard.run(message, work)

    subscriber = broker.subscriber(
        topic(command_topic, settings.topic_prefix),
        decoder=raw_body,
        **consumer_options(settings, group=settings.service_name),
    )
    subscriber(on_step_requested)
