"""API failures through the real SDK: a 429 is retried once after its retry-after, a 529 that
outlasts that retry is transient, and a 401 is an error that never shows the key (the event on
the real Kafka and every log line)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from cts_agent_runner.app import build_app
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import ResultStatus, StepRequested
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import AGENT_STEP_REQUESTED, STEP_COMPLETED, topic
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints
from tests.integration.agent_runner.conftest import API_KEY, Scripted, generate_turns


async def test_a_rate_limit_is_retried_after_its_retry_after(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
) -> None:
    limited = {"error": {"status": 429, "headers": {"retry-after": "1"},
                         "message": "rate limited"}}  # fmt: skip
    server = scripted({"name": "g", "turns": [limited, *generate_turns()]})
    started = time.monotonic()
    outcome = await make_step(make_settings(server))(command)
    assert outcome.status is ResultStatus.OK, outcome
    assert time.monotonic() - started >= 1.0
    requests = server.llm.requests
    assert [r["status"] for r in requests] == [429, 200, 200, 200]
    assert requests[0]["body"] == requests[1]["body"]
    assert requests[1]["headers"]["x-stainless-retry-count"] == "1"


async def test_overload_that_outlasts_the_retries_is_transient(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
) -> None:
    overloaded = {"error": {"status": 529, "headers": {"retry-after-ms": "10"},
                            "message": "Overloaded"}}  # fmt: skip
    server = scripted({"name": "g", "turns": [overloaded] * 3})
    outcome = await make_step(make_settings(server))(command)
    assert outcome.status is ResultStatus.TRANSIENT
    assert outcome.summary == "model call failed (temporary)"
    assert outcome.error_message == "Anthropic API error 529 (overloaded_error: Overloaded)"
    assert len(server.llm.requests) == 2, "one SDK retry at most"


@pytest.mark.usefixtures("restore_logging")
async def test_an_authentication_failure_is_an_error_without_the_key_anywhere(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    command: StepRequestedData,
    stack: Endpoints,
    topic_prefix: str,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A hostile or buggy endpoint that echoes the key back must not leak it either.
    echo = {"error": {"status": 401, "message": f"invalid x-api-key: {API_KEY}"}}
    server = scripted({"name": "g", "turns": [echo, echo]})
    settings = make_settings(server, topic_prefix=topic_prefix, group_prefix=namespace,
                             log_format="json", log_level="DEBUG")  # fmt: skip
    caplog.set_level(logging.DEBUG)
    app = build_app(settings)
    event = StepRequested(source="cts/tests", subject=command.session_id, data=command)
    results = topic(STEP_COMPLETED, topic_prefix)
    async with Collector(stack.kafka_bootstrap_servers, results) as events:
        await app.start()
        try:
            await publish(stack.kafka_bootstrap_servers, topic(AGENT_STEP_REQUESTED, topic_prefix),
                          event, key=command.session_id)  # fmt: skip
            await events.wait_for(lambda seen: len(seen) >= 1, within=60)
        finally:
            await app.stop()

    completed: dict[str, Any] = events.on(results)[0]
    data = completed["data"]
    assert (data["interaction_id"], data["status"]) == (command.interaction_id, "error")
    assert data["error_message"] == (
        "Anthropic API error 401 (authentication_error: invalid x-api-key: [redacted])"
    )
    assert data["data"]["turns"] == 0
    assert len(server.llm.requests) == 1  # a 401 is not retried
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "model call failed" in logs
    for text in (json.dumps(completed), logs):
        assert API_KEY not in text
        assert API_KEY[-12:] not in text
