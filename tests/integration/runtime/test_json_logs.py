"""``CTS_LOG_FORMAT=json``: every line a real service process writes is a JSON object,
FastStream's and uvicorn's own lines included."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from cts_contracts.topics import DEADLETTER, TESTS_STEP_REQUESTED, topic
from cts_testing.kafka import Collector, publish
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints


async def wait_for_line(process: ServiceProcess, text: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while text not in process.log_tail(400):
        assert process.alive(), process.log_tail()
        assert time.monotonic() < deadline, f"no {text!r} within {within}s:\n{process.log_tail()}"
        await asyncio.sleep(0.2)


async def _records_of_a_dead_letter(
    stack: Endpoints, topic_prefix: str, namespace: str, tmp_path: Path, level: str
) -> list[dict[str, Any]]:
    """A real test-runner's log lines, as JSON, around one message it dead-letters."""
    env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "CTS_TOPIC_PREFIX": topic_prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_WORKSPACE_ROOT": str(tmp_path / "ws"),
        "CTS_LOG_FORMAT": "json",
        "CTS_LOG_LEVEL": level,
    }
    service = ServiceProcess("cts_test_runner", env, tmp_path / "test-runner.log").start()
    try:
        await wait_for_line(service, "FastStream app started")
        async with Collector(stack.kafka_bootstrap_servers, topic(DEADLETTER, topic_prefix)) as dlq:
            command_topic = topic(TESTS_STEP_REQUESTED, topic_prefix)
            await publish(stack.kafka_bootstrap_servers, command_topic, b"{not json", key="k")
            await dlq.wait_for(lambda events: len(events) == 1, within=60)
        await wait_for_line(service, "Processed" if level == "DEBUG" else "dead-lettered")
    finally:
        service.stop()

    lines = [line for line in service.log_path.read_text().splitlines() if line.strip()]
    records: list[dict[str, Any]] = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return records


async def test_every_line_of_a_service_is_json(
    stack: Endpoints, topic_prefix: str, namespace: str, tmp_path: Path
) -> None:
    # DEBUG: FastStream's own per-message lines are logged at that level
    records = await _records_of_a_dead_letter(stack, topic_prefix, namespace, tmp_path, "DEBUG")
    assert all(isinstance(r, dict) and r.get("event") and r.get("level") for r in records)
    loggers = {r.get("logger") for r in records}
    assert {"faststream", "cts.faststream", "uvicorn.error"} <= loggers, loggers
    received = next(r for r in records if r["event"] == "Received")
    assert received["topic"] == topic(TESTS_STEP_REQUESTED, topic_prefix)
    assert not any("\x1b" in json.dumps(r, ensure_ascii=False) for r in records), "no colours"


async def test_at_info_a_message_costs_no_line_of_faststream_s_own(
    stack: Endpoints, topic_prefix: str, namespace: str, tmp_path: Path
) -> None:
    """FastStream's "Received" and "Processed" per message stay at DEBUG: at INFO the
    service's own lines say what happened to the message, once."""
    records = await _records_of_a_dead_letter(stack, topic_prefix, namespace, tmp_path, "INFO")
    events = [r["event"] for r in records]
    assert "Received" not in events
    assert "Processed" not in events
    assert any("dead-letter" in e for e in events), events
