"""Wiring: the executor harness running RunTests in its sandbox. It never touches MongoDB, so a
MongoDB outage does not make it unready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cts_contracts import Executor
from cts_runtime.executor import register_executor
from cts_runtime.observability import ObservedAsgi
from cts_runtime.service import Service
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings


def build_app(settings: TestRunnerSettings | None = None) -> ObservedAsgi:
    settings = settings or TestRunnerSettings()
    service = Service.create(settings, client_id=f"cts-test-runner-{settings.instance_id}")
    runner = RunTests(settings)
    runner.check_sandbox()  # a host that cannot sandbox must not take work
    register_executor(service.broker, settings, executor=Executor.TESTS, runner=runner)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        try:
            yield
        finally:
            runner.close()

    return service.app(lifespan, readiness=())
