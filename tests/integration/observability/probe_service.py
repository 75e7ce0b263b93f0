"""A small CTS service for the observability tests, run as its own process.

It uses the real executor harness for two steps (Initialize answers at once; Generate reports
token usage and cost) and the real ``Service`` wiring every service's ``build_app`` uses.
Configured by the usual ``CTS_`` variables; ``PROBE_MONGO=0`` leaves MongoDB out of readiness.
"""

from __future__ import annotations

import os
import sys

from cts_contracts import Executor, Step
from cts_contracts.step_completed import AgentData, InitializeData, Usage
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.observability import MongoPing, serve_app
from cts_runtime.service import Service
from cts_runtime.settings import ServiceSettings

USAGE = Usage(input_tokens=1200, output_tokens=340, cache_read_tokens=50, cost_usd=0.0125)


async def initialize(command: StepRequestedData) -> StepOutcome:
    return StepOutcome.ok("branch ready", InitializeData(branch=command.branch, base_sha="a" * 40))


async def generate(command: StepRequestedData) -> StepOutcome:
    data = AgentData(step=Step.GENERATE_TESTS_AND_FIXTURES.value, usage=USAGE, model="probe-model")
    return StepOutcome.ok("files written", data)


def main() -> int:
    settings = ServiceSettings(service_name="probe", step_deadline_s=60, log_format="console")
    service = Service.create(settings, client_id="cts-probe")
    register_executor(service.broker, settings, executor=Executor.GIT, runner=initialize)
    agent = settings.model_copy(update={"service_name": "probe-agent"})
    register_executor(service.broker, agent, executor=Executor.AGENT, runner=generate)
    mongo = [] if os.environ.get("PROBE_MONGO") == "0" else [MongoPing(
        settings.mongodb_uri.get_secret_value())]  # fmt: skip
    return serve_app(service.app(readiness=mongo))


if __name__ == "__main__":
    sys.exit(main())
