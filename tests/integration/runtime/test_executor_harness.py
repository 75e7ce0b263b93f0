"""The executor harness on the real broker: a command in, one completion out, bad input
dead-lettered, and the consumer carries on."""

from __future__ import annotations

from faststream import FastStream

from cts_contracts import Executor, ResultStatus, Step
from cts_contracts.step_completed import InitializeData
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import DEADLETTER, GIT_STEP_REQUESTED, STEP_COMPLETED, topic
from cts_runtime.broker import make_broker
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.settings import ServiceSettings
from cts_testing.factories import step_requested
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints


async def test_executor_answers_commands_and_dead_letters_garbage(
    stack: Endpoints, topic_prefix: str, namespace: str
) -> None:
    seen: list[str] = []

    async def runner(command: StepRequestedData) -> StepOutcome:
        seen.append(command.interaction_id)
        return StepOutcome.ok("done", InitializeData(branch=command.branch, base_sha="a" * 40))

    settings = ServiceSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        group_prefix=namespace,
        service_name="git-test",
    )
    broker = make_broker(settings, client_id="test")
    register_executor(broker, settings, executor=Executor.GIT, runner=runner)
    app = FastStream(broker)
    command_topic = topic(GIT_STEP_REQUESTED, topic_prefix)
    good = step_requested(Step.INITIALIZE)

    async with (
        Collector(
            stack.kafka_bootstrap_servers,
            topic(STEP_COMPLETED, topic_prefix),
            topic(DEADLETTER, topic_prefix),
        ) as events,
        broker,
    ):
        await app.start()
        await publish(stack.kafka_bootstrap_servers, command_topic, b"{not json", key="x")
        await publish(stack.kafka_bootstrap_servers, command_topic, b'{"data": {}}', key="y")
        for _ in range(2):  # the second is a redelivery: answered again, not re-run
            await publish(
                stack.kafka_bootstrap_servers, command_topic, good, key=good.data.session_id
            )
        await events.wait_for(lambda e: len(e) >= 4, within=60)
        await app.stop()

    completed = events.on(topic(STEP_COMPLETED, topic_prefix))
    letters = events.on(topic(DEADLETTER, topic_prefix))
    assert seen == [good.data.interaction_id]
    assert [c["data"]["status"] for c in completed] == [ResultStatus.OK.value] * 2
    assert completed[0] == completed[1]
    assert completed[0]["data"]["interaction_id"] == good.data.interaction_id
    assert completed[0]["data"]["data"]["base_sha"] == "a" * 40
    reasons = {letter["key"]: letter["reason"] for letter in letters}
    assert reasons["x"] == "not valid JSON"
    assert reasons["y"].startswith("schema-invalid StepRequested: source: Field required;")
