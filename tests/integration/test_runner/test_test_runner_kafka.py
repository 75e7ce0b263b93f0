"""The service as deployed: ``build_app`` on the real Kafka, a RunTests command in, one
``StepCompleted`` with structured results out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cts_contracts import ResultStatus, StepRequested
from cts_contracts.topics import STEP_COMPLETED, TESTS_STEP_REQUESTED, topic
from cts_test_runner.app import build_app
from cts_test_runner.settings import TestRunnerSettings
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints


async def test_run_tests_command_through_kafka_answers_with_structured_results(
    stack: Endpoints,
    topic_prefix: str,
    namespace: str,
    sandbox: Any,
    scenario: Callable[[str], str],
) -> None:
    red = sandbox.workspace(scenario("aligned_test.exs"))
    broken = sandbox.workspace(scenario("syntax_error_test.exs"))
    settings = TestRunnerSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        group_prefix=namespace,
        workspace_root=sandbox.root,
        log_format="console",
    )
    app = build_app(settings)
    broker = app.broker
    assert broker is not None
    results = topic(STEP_COMPLETED, topic_prefix)

    async with Collector(stack.kafka_bootstrap_servers, results) as events, broker:
        await app.start()
        for command in (red, broken):
            event = StepRequested(source="cts/tests", subject=command.session_id, data=command)
            await publish(
                stack.kafka_bootstrap_servers,
                topic(TESTS_STEP_REQUESTED, topic_prefix),
                event,
                key=command.session_id,
            )
        await events.wait_for(lambda seen: len(seen) >= 2, within=120)
        await app.stop()

    completed = {e["data"]["interaction_id"]: e["data"] for e in events.on(results)}
    assert set(completed) == {red.interaction_id, broken.interaction_id}
    ok = completed[red.interaction_id]
    assert ok["status"] == ResultStatus.OK.value
    assert ok["step"] == "run_tests"
    assert ok["data"]["step"] == "run_tests"
    assert (ok["data"]["total"], ok["data"]["failed"], ok["data"]["passed"]) == (4, 4, 0)
    assert ok["data"]["alignment"]["score"] == 1.0
    assert ok["data"]["output_artifact_id"] is None
    error = completed[broken.interaction_id]
    assert error["status"] == ResultStatus.ERROR.value
    assert error["data"]["compiled"] is False
    [diagnostic] = error["data"]["compile_errors"]
    assert (diagnostic["file"], diagnostic["line"]) == (broken.component.test_file, 7)
    assert "(SyntaxError)" in error["error_message"]
    assert error["data"]["report"].startswith("# RunTests (red mode): error")
