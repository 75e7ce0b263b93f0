"""Wiring: the executor harness running the agent steps, with the step's clients (MongoDB,
the Anthropic SDK) opened by the lifespan and closed with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cts_agent_runner.anthropic_model import AnthropicModel
from cts_agent_runner.claims import MongoClaims
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.transcripts import MongoTranscripts
from cts_contracts import Executor
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome, register_executor
from cts_runtime.observability import MongoPing, ObservedAsgi
from cts_runtime.service import Late, Service
from cts_store import connect


def build_app(settings: AgentRunnerSettings | None = None) -> ObservedAsgi:
    settings = settings or AgentRunnerSettings()
    service = Service.create(settings, client_id=f"cts-agent-runner-{settings.instance_id}")
    step: Late[AgentStep] = Late("the agent step")

    async def runner(command: StepRequestedData) -> StepOutcome:
        return await step.get()(command)

    register_executor(service.broker, settings, executor=Executor.AGENT, runner=runner)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        client = connect(
            settings.mongodb_uri.get_secret_value(),
            app_name="cts-agent-runner",
            max_connections=settings.mongodb_max_connections,
        )
        model = AnthropicModel(settings)
        try:
            database = client[settings.mongodb_database]
            claims = MongoClaims(database)
            transcripts = MongoTranscripts(
                database,
                block_cap=settings.agent_transcript_tool_text_cap,
                total_cap=settings.agent_transcript_cap_bytes,
            )
            await claims.ensure_indexes()
            await transcripts.ensure_indexes()
            step.set(AgentStep(settings, model=model, claims=claims, transcripts=transcripts))
            yield
        finally:
            step.set(None)
            await model.aclose()
            await client.close()

    return service.app(lifespan, readiness=[MongoPing(settings.mongodb_uri.get_secret_value())])
