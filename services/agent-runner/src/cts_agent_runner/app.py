"""Wiring: one broker, the executor harness, and the agent step with its clients opened at
startup (MongoDB, the Anthropic SDK) and closed at shutdown."""

from __future__ import annotations

from typing import Any

from faststream import FastStream

from cts_agent_runner.anthropic_model import AnthropicModel
from cts_agent_runner.claims import MongoClaims
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.transcripts import MongoTranscripts
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import AGENT_STEP_REQUESTED
from cts_runtime.broker import make_broker
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.logs import configure_logging
from cts_store import connect


class _Running:
    """What exists only between startup and shutdown."""

    step: AgentStep
    model: AnthropicModel
    client: Any


def build_app(settings: AgentRunnerSettings | None = None) -> FastStream:
    settings = settings or AgentRunnerSettings()
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings, client_id=f"cts-agent-runner-{settings.instance_id}")
    running = _Running()

    async def runner(command: StepRequestedData) -> StepOutcome:
        return await running.step(command)

    register_executor(broker, settings, command_topic=AGENT_STEP_REQUESTED, runner=runner)

    async def startup() -> None:
        running.client = connect(
            settings.mongodb_uri.get_secret_value(), app_name="cts-agent-runner"
        )
        database = running.client[settings.mongodb_database]
        claims = MongoClaims(database)
        transcripts = MongoTranscripts(
            database,
            block_cap=settings.agent_transcript_tool_text_cap,
            total_cap=settings.agent_transcript_cap_bytes,
        )
        await claims.ensure_indexes()
        await transcripts.ensure_indexes()
        running.model = AnthropicModel(settings)
        running.step = AgentStep(
            settings, model=running.model, claims=claims, transcripts=transcripts
        )

    async def shutdown() -> None:
        await running.model.aclose()
        await running.client.close()

    return FastStream(broker, on_startup=[startup], after_shutdown=[shutdown])
