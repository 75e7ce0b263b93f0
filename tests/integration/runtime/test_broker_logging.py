"""A broker's log lines never go to a stream that was closed after the broker was made (a
test's capture, say): FastStream's own logger keeps the ``sys.stdout`` of the moment a
subscriber starts and turns every later line into '--- Logging error --- ValueError: I/O
operation on closed file' (683 of them in one ``make test``)."""

from __future__ import annotations

import io
import sys

import pytest
from faststream import FastStream

from cts_runtime.broker import make_broker
from cts_runtime.settings import ServiceSettings
from cts_testing.stack import Endpoints


async def _start_and_stop(settings: ServiceSettings, topic: str) -> None:
    """A subscriber starts ('waiting for messages' is logged) and stops."""
    broker = make_broker(settings, client_id="logging-test")

    @broker.subscriber(topic, group_id=f"{topic}-group")
    async def handle(body: bytes) -> None: ...

    app = FastStream(broker)
    await app.start()
    await app.stop()


async def test_broker_lines_survive_a_closed_capture(
    stack: Endpoints, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ServiceSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers)
    capture = io.StringIO()
    monkeypatch.setattr(sys, "stdout", capture)
    await _start_and_stop(settings, f"{topic_prefix}first")
    capture.close()  # the capture ends; the process goes on
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors)
    await _start_and_stop(settings, f"{topic_prefix}second")
    assert "Logging error" not in errors.getvalue()
