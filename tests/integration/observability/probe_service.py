"""A small CTS service for the observability tests, run as its own process.

It uses the real executor harness for two steps (Initialize answers at once; Generate reports
token usage and cost) and the real ``run_service`` wiring a service's ``__main__`` uses.
Configured by the usual ``CTS_`` variables; ``PROBE_MONGO=0`` leaves MongoDB out of readiness.
"""

from __future__ import annotations

import os
import sys

from faststream import FastStream

from cts_contracts import Step
from cts_contracts.step_completed import AgentData, InitializeData, Usage
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import AGENT_STEP_REQUESTED, GIT_STEP_REQUESTED
from cts_runtime.broker import make_broker
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.logs import configure_logging
from cts_runtime.observability import run_service
from cts_runtime.settings import ServiceSettings

USAGE = Usage(input_tokens=1200, output_tokens=340, cache_read_tokens=50, cost_usd=0.0125)


async def initialize(command: StepRequestedData) -> StepOutcome:
    return StepOutcome.ok("branch ready", InitializeData(branch=command.branch, base_sha="a" * 40))


async def generate(command: StepRequestedData) -> StepOutcome:
    data = AgentData(step=Step.GENERATE_TESTS_AND_FIXTURES.value, usage=USAGE, model="probe-model")
    return StepOutcome.ok("files written", data)


def main() -> int:
    settings = ServiceSettings(service_name="probe", step_deadline_s=60)
    configure_logging(settings.log_level, "console")
    broker = make_broker(settings, client_id="cts-probe")
    register_executor(broker, settings, command_topic=GIT_STEP_REQUESTED, runner=initialize)
    agent = settings.model_copy(update={"service_name": "probe-agent"})
    register_executor(broker, agent, command_topic=AGENT_STEP_REQUESTED, runner=generate)
    readiness = () if os.environ.get("PROBE_MONGO") == "0" else None
    return run_service(FastStream(broker), settings, readiness=readiness)


if __name__ == "__main__":
    sys.exit(main())
