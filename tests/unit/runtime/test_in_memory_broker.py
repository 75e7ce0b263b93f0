"""The fast tier of the wiring: ``subscribe`` and the executor harness on FastStream's
in-memory ``TestKafkaBroker`` (the same code on the real broker: tests/integration/runtime)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker

from cts_contracts import (
    DeadLetter,
    Executor,
    Outcome,
    ResultStatus,
    SessionFinished,
    SessionFinishedData,
    Step,
    StepCompleted,
)
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import DEADLETTER, GIT_STEP_REQUESTED, SESSION_FINISHED, STEP_COMPLETED
from cts_runtime.broker import make_broker
from cts_runtime.decoding import BadMessage
from cts_runtime.executor import NoAnswer, StepOutcome, StepRunner, register_executor
from cts_runtime.settings import ServiceSettings
from cts_runtime.subscribe import subscribe
from cts_testing.answers import sample_data
from cts_testing.factories import step_requested

PREFIX = "mem."
SETTINGS = ServiceSettings(service_name="git-test", topic_prefix=PREFIX, step_deadline_s=10)


class Wire:
    """A broker with collectors on the answer and dead-letter topics."""

    def __init__(self) -> None:
        self.broker = make_broker(SETTINGS, client_id="in-memory")
        self.answers: list[StepCompleted] = []
        self.letters: list[DeadLetter] = []

        @self.broker.subscriber(PREFIX + STEP_COMPLETED)
        async def answered(event: StepCompleted) -> None:
            self.answers.append(event)

        @self.broker.subscriber(PREFIX + DEADLETTER)
        async def refused(letter: DeadLetter) -> None:
            self.letters.append(letter)

    async def send(self, body: Any, topic: str = GIT_STEP_REQUESTED, key: bytes = b"k") -> None:
        await self.broker.publish(body, topic=PREFIX + topic, key=key)

    async def one_command(
        self, runner: StepRunner, step: Step, settings: ServiceSettings = SETTINGS
    ) -> None:
        """The git executor with ``runner``, sent one command for ``step``."""
        register_executor(self.broker, settings, executor=Executor.GIT, runner=runner)
        async with TestKafkaBroker(self.broker):
            await self.send(step_requested(step))


@pytest.fixture
def wire() -> Wire:
    return Wire()


async def test_a_command_is_answered_once_and_a_redelivery_from_memory(wire: Wire) -> None:
    ran: list[str] = []

    async def runner(command: StepRequestedData) -> StepOutcome:
        ran.append(command.interaction_id)
        return StepOutcome.ok("branch ready", sample_data(command.step))

    register_executor(wire.broker, SETTINGS, executor=Executor.GIT, runner=runner)
    command = step_requested(Step.INITIALIZE)
    async with TestKafkaBroker(wire.broker):
        await wire.send(command)
        await wire.send(command)  # redelivered
    assert ran == [command.data.interaction_id]
    assert [a.data.status for a in wire.answers] == [ResultStatus.OK, ResultStatus.OK]
    assert wire.answers[0] == wire.answers[1]
    assert wire.answers[0].data.data == sample_data(Step.INITIALIZE)


async def test_garbage_is_dead_lettered_with_a_reason_and_the_consumer_goes_on(
    wire: Wire,
) -> None:
    async def runner(command: StepRequestedData) -> StepOutcome:
        return StepOutcome.ok("done", sample_data(command.step))

    register_executor(wire.broker, SETTINGS, executor=Executor.GIT, runner=runner)
    async with TestKafkaBroker(wire.broker):
        await wire.send(b"{not json", key=b"x")
        await wire.send(b'{"data": {}}', key=b"y")
        await wire.send(step_requested(Step.FINALIZE))
    reasons = {letter.key: letter.reason for letter in wire.letters}
    assert reasons["x"] == "not valid JSON"
    assert reasons["y"].startswith("schema-invalid StepRequested: source: Field required;")
    assert {letter.consumer for letter in wire.letters} == {"git-test"}
    assert [a.data.step for a in wire.answers] == [Step.FINALIZE]


async def test_another_executors_step_is_refused_without_running_it(wire: Wire) -> None:
    async def runner(command: StepRequestedData) -> StepOutcome:
        raise AssertionError("must not run")

    await wire.one_command(runner, Step.RUN_TESTS)
    [answer] = wire.answers
    assert answer.data.status is ResultStatus.ERROR
    assert answer.data.error_message == "the git executor does not run run_tests"


async def test_a_step_past_its_deadline_answers_transient(wire: Wire) -> None:
    async def runner(command: StepRequestedData) -> StepOutcome:
        await asyncio.sleep(5)
        raise AssertionError("the deadline should have ended it")

    quick = SETTINGS.model_copy(update={"step_deadline_s": 0.05})
    await wire.one_command(runner, Step.INITIALIZE, quick)
    [answer] = wire.answers
    assert answer.data.status is ResultStatus.TRANSIENT
    assert "exceeded its deadline" in answer.data.summary


async def test_a_runner_that_does_not_own_the_interaction_answers_nothing(wire: Wire) -> None:
    async def runner(command: StepRequestedData) -> StepOutcome:
        raise NoAnswer("another instance holds it")

    await wire.one_command(runner, Step.INITIALIZE)
    assert wire.answers == []
    assert wire.letters == []


async def test_subscribe_hands_over_the_decoded_event_and_dead_letters_refusals(
    wire: Wire,
) -> None:
    handled: list[str] = []

    async def handler(event: SessionFinished) -> None:
        if event.data.reason == "refuse":
            raise BadMessage("refused by the handler")
        handled.append(event.data.session_id)

    subscribe(wire.broker, SETTINGS, topic_name=SESSION_FINISHED, model=SessionFinished,
              handler=handler, group="cleanup", consumer="git-test-cleanup")  # fmt: skip
    event = _finished()
    async with TestKafkaBroker(wire.broker):
        await wire.send(event, topic=SESSION_FINISHED)
        refused = event.model_copy(
            update={"data": event.data.model_copy(update={"reason": "refuse"})}
        )
        await wire.send(refused, topic=SESSION_FINISHED, key=b"r")
    assert handled == [event.data.session_id]
    [letter] = wire.letters
    assert (letter.key, letter.reason, letter.consumer) == (
        "r", "refused by the handler", "git-test-cleanup",
    )  # fmt: skip


def _finished() -> SessionFinished:
    now = datetime.now(UTC)
    data = SessionFinishedData(
        account_id="acme", project_id="shop", session_id="s-1", request_id="r-1",
        status="complete", outcome=Outcome(), started_at=now, finished_at=now,
    )  # fmt: skip
    return SessionFinished(source="cts/tests", subject="s-1", data=data)


def test_every_window_is_on_the_metrics_page() -> None:
    from prometheus_client import generate_latest  # noqa: PLC0415

    from cts_runtime.service import Service  # noqa: PLC0415

    settings = ServiceSettings(service_name="metrics-test", topic_prefix=PREFIX)
    service = Service.create(settings, client_id="metrics-test")

    async def handler(event: SessionFinished) -> None:
        pass

    subscribe(service.broker, settings, topic_name=SESSION_FINISHED, model=SessionFinished,
              handler=handler, group="cleanup", max_in_flight=7)  # fmt: skip
    page = generate_latest(service.observability.registry).decode()
    name = f'subscription="cleanup/{SESSION_FINISHED}"'
    assert f"cts_messages_in_flight{{{name}}} 0.0" in page
    assert f"cts_messages_in_flight_limit{{{name}}} 7.0" in page
