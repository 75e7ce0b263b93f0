"""GenerateTestsAndFixtures and FixCompilationErrors: the ``StepRunner`` of the agent-runner.

The claim comes first (no model call for an interaction someone else runs or already ran; a
claim another instance holds is waited out), then the bounded tool-use loop (checkpointed after
every turn, resumed from its checkpoint when an earlier try of the step failed part-way), then
the transcript, then the claim's stored outcome, which is what a redelivered command is
answered with. The session's USD budget (its request's ``max_cost_usd``, or the service's
default) less what its earlier steps spent bounds what the step may spend.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pymongo.errors import PyMongoError

from cts_agent_runner.claims import Claimed, ClaimKey, ClaimStore, Completed, Held
from cts_agent_runner.heartbeat import ClaimLost, with_heartbeat
from cts_agent_runner.jail import Jail
from cts_agent_runner.loop import Limits, LoopResult, run_loop
from cts_agent_runner.memory import StepMemory
from cts_agent_runner.model import ModelPort
from cts_agent_runner.outcome import decide
from cts_agent_runner.pricing import NO_PRICE, Pricer, usage_summary
from cts_agent_runner.project_context import project_context
from cts_agent_runner.prompts import SYSTEM_PROMPT
from cts_agent_runner.rules import load_rules, render_rules
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.tools import ToolBox
from cts_agent_runner.transcripts import Transcript, TranscriptStore
from cts_contracts import AgentData, Executor
from cts_contracts.step_requested import StepRequestedData
from cts_core import steps_run_by
from cts_runtime.executor import NoAnswer, StepOutcome
from cts_runtime.logs import get_logger
from cts_runtime.workspace import step_workspace

log = get_logger(__name__)

AGENT_STEPS = steps_run_by(Executor.AGENT)
DEADLINE_MARGIN_S = 10
"""Our loop ends this long before the command's deadline, so the answer is ours, not a timeout."""
WRITABLE_DIRS = ("test/support",)
HELD_POLL_MIN_S = 0.05
TRANSCRIPT_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits between tries of the transcript write while the store is unreachable."""


class AgentStep:
    def __init__(
        self,
        settings: AgentRunnerSettings,
        *,
        model: ModelPort,
        claims: ClaimStore,
        transcripts: TranscriptStore,
        transcript_retry_delays_s: tuple[float, ...] = TRANSCRIPT_RETRY_DELAYS_S,
    ) -> None:
        self._settings = settings
        self._model = model
        self._claims = claims
        self._transcripts = transcripts
        self._transcript_retry_delays_s = transcript_retry_delays_s
        # Unique per process: a restarted container keeps its hostname (and often pid 1), and
        # must not mistake its predecessor's live lease for its own.
        self.owner = f"{settings.instance_id}/{uuid.uuid4().hex[:12]}"
        self._pricer = Pricer(settings.agent_prices)
        if not self._pricer.has_price(settings.agent_model):
            log.warning(NO_PRICE, model=settings.agent_model)

    async def __call__(self, command: StepRequestedData) -> StepOutcome:
        if command.step not in AGENT_STEPS:
            return StepOutcome.error(f"the agent-runner does not run {command.step.value}")
        workspace = await step_workspace(self._settings.workspace_root, command.workspace)
        if isinstance(workspace, StepOutcome):
            return workspace
        key = ClaimKey(command.account_id, command.project_id, command.session_id,
                       command.interaction_id)  # fmt: skip
        state = await self._acquire(key)
        if isinstance(state, Completed):
            log.info("interaction already ran: answering its stored outcome")
            return state.outcome
        if state.takeover:
            log.warning("took over an interaction whose owner stopped renewing its claim")
        return await self._run_claimed(key, command, workspace)

    async def _acquire(self, key: ClaimKey) -> Claimed | Completed:
        """The claim, or the outcome another instance stored for it.

        A claim held by another instance is waited out, never answered with silence: its
        owner may be alive (it completes the claim, and its outcome is answered here too) or
        dead, killed before its answer, with a lease that outlives the redelivery (the lease
        is longer than Kafka's session timeout); then it lapses and this instance takes over.
        The harness's deadline bounds the wait.
        """
        settings = self._settings
        waiting = False
        while True:
            state = await self._claims.acquire(key, self.owner, settings.claim_lease_s)
            if not isinstance(state, Held):
                return state
            if not waiting:
                log.info("claimed by another instance: waiting for its outcome or its lease",
                         owner=state.owner, lease_until=state.lease_until.isoformat())  # fmt: skip
                waiting = True
            # By the store's clock (the database server's), never this machine's.
            until_lapse = state.lapses_in_s
            await asyncio.sleep(min(settings.claim_heartbeat_s, max(HELD_POLL_MIN_S, until_lapse)))

    async def _run_claimed(
        self, key: ClaimKey, command: StepRequestedData, workspace: Path
    ) -> StepOutcome:
        settings = self._settings
        try:
            outcome = await with_heartbeat(
                self._step(command, workspace),
                claims=self._claims, key=key, owner=self.owner,
                lease_s=settings.claim_lease_s, interval_s=settings.claim_heartbeat_s,
            )  # fmt: skip
        except ClaimLost as lost:
            raise NoAnswer(str(lost)) from None
        except asyncio.CancelledError:
            # Stopped from outside (shutdown, the harness's deadline): let a redelivery run it.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._claims.release(key, self.owner))
            raise
        except Exception as exc:
            log.exception("agent step crashed")
            outcome = StepOutcome.transient(f"agent-runner error: {type(exc).__name__}")
        try:
            if not await self._claims.complete(key, self.owner, outcome):
                log.warning("the claim changed hands before completion; answering anyway")
        except PyMongoError as exc:
            # The work is done and paid for: answer it. A redelivery may run it again once
            # the lease lapses, which is the lesser harm.
            log.warning("could not record the outcome on the claim", error=type(exc).__name__)
        return outcome

    async def _step(self, command: StepRequestedData, workspace: Path) -> StepOutcome:
        settings = self._settings
        component = command.component
        model = command.model or settings.agent_model
        rules = await asyncio.to_thread(
            load_rules, workspace, component_type=component.type,
            session_type=command.session_type, cap_bytes=settings.agent_rules_cap_bytes,
        )  # fmt: skip
        memory = StepMemory(self._transcripts, command,
                            checkpoint_cap=settings.agent_checkpoint_cap_bytes,
                            retry_delays_s=self._transcript_retry_delays_s)  # fmt: skip
        start = await memory.start(await asyncio.to_thread(project_context, workspace, command))
        toolbox = ToolBox(
            Jail(workspace, writable=(component.test_file, component.fixture_file),
                 writable_dirs=WRITABLE_DIRS),
            read_cap=settings.agent_read_cap_bytes, write_cap=settings.agent_write_cap_bytes,
            written=list(start.written),
        )  # fmt: skip
        budget = command.max_cost_usd or settings.agent_max_session_cost_usd
        until_deadline = (command.deadline - datetime.now(UTC)).total_seconds()
        limits = Limits(
            max_turns=max(0, settings.agent_max_turns - start.turns),
            max_output_tokens=settings.agent_max_output_tokens,
            deadline_s=max(1.0, min(settings.agent_deadline_s, until_deadline - DEADLINE_MARGIN_S)),
            budget_usd=budget - command.spent_usd,
            thinking=settings.thinking_param(),
            output_config=settings.output_config(),
        )
        log.info("agent loop starting", model=model, rules=rules.sources,
                 prior_messages=len(start.messages) - 1, resumed=start.resumed,
                 budget_left_usd=round(limits.budget_usd, 4))  # fmt: skip

        async def checkpoint(result: LoopResult) -> None:
            await memory.checkpoint(result, start, toolbox.written)

        result = await run_loop(
            self._model, model=model, system_prompt=SYSTEM_PROMPT,
            rules=render_rules(rules.applied),
            messages=start.messages, toolbox=toolbox, limits=limits, pricer=self._pricer,
            on_turn=checkpoint,
        )  # fmt: skip
        transcript_id = None
        ended = result.failure is None or not result.failure.transient
        if ended and (result.turns > 0 or result.failure is None):
            interactions = list(dict.fromkeys([*start.interactions, command.interaction_id]))
            transcript_id = await memory.finish(
                Transcript(result.messages, interactions), model=result.model or model
            )
        data = AgentData(
            step=command.step.value,
            files_written=toolbox.written[:50],
            turns=result.turns,
            usage=usage_summary(result.usage, cost=result.cost_usd),
            model=result.model or model,
            transcript_artifact_id=transcript_id,
            rules=rules.sources[:50],
            warnings=[w[:4000] for w in rules.warnings[:50]],
        )
        return decide(command, result, data, budget_usd=budget)
