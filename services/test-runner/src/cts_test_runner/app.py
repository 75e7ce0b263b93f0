"""Wiring: one broker, the executor harness, and the RunTests runner."""

from __future__ import annotations

from faststream import FastStream

from cts_contracts.topics import TESTS_STEP_REQUESTED
from cts_runtime.broker import make_broker
from cts_runtime.executor import register_executor
from cts_runtime.logs import configure_logging
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings


def build_app(settings: TestRunnerSettings | None = None) -> FastStream:
    settings = settings or TestRunnerSettings()
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings, client_id=f"cts-test-runner-{settings.instance_id}")
    runner = RunTests(settings)
    runner.check_sandbox()  # a host that cannot sandbox must not take work
    register_executor(broker, settings, command_topic=TESTS_STEP_REQUESTED, runner=runner)
    return FastStream(broker, after_shutdown=[runner.close])
