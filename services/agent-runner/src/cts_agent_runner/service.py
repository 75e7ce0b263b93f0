"""GenerateTestsAndFixtures and FixCompilationErrors: the ``StepRunner`` of the agent-runner.

The claim comes first (no model call for an interaction someone else runs or already ran; a
claim another instance holds is waited out), then the bounded tool-use loop, then the
transcript, then the claim's stored outcome, which is what a redelivered command is answered
with.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pymongo.errors import ConnectionFailure, PyMongoError

from cts_agent_runner.claims import Claimed, ClaimKey, ClaimStore, Completed, Held
from cts_agent_runner.conversation import Message, continue_with
from cts_agent_runner.heartbeat import ClaimLost, with_heartbeat
from cts_agent_runner.jail import Jail
from cts_agent_runner.loop import Limits, run_loop
from cts_agent_runner.model import ModelPort
from cts_agent_runner.outcome import decide
from cts_agent_runner.pricing import usage_summary
from cts_agent_runner.prompts import SYSTEM_PROMPT, fix_prompt, generate_prompt
from cts_agent_runner.rules import load_rules, render_rules
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.tools import ToolBox
from cts_agent_runner.transcripts import Transcript, TranscriptStore
from cts_contracts import AgentData, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import NoAnswer, StepOutcome
from cts_runtime.logs import get_logger
from cts_runtime.workspace import step_workspace

log = get_logger(__name__)

AGENT_STEPS = (Step.GENERATE_TESTS_AND_FIXTURES, Step.FIX_COMPILATION_ERRORS)
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
            lease_until = state.lease_until
            if lease_until.tzinfo is None:
                lease_until = lease_until.replace(tzinfo=UTC)
            until_lapse = (lease_until - datetime.now(UTC)).total_seconds()
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
        messages, interactions = await self._conversation(command)
        toolbox = ToolBox(
            Jail(workspace, writable=(component.test_file, component.fixture_file),
                 writable_dirs=WRITABLE_DIRS),
            read_cap=settings.agent_read_cap_bytes, write_cap=settings.agent_write_cap_bytes,
        )  # fmt: skip
        until_deadline = (command.deadline - datetime.now(UTC)).total_seconds()
        limits = Limits(
            max_turns=settings.agent_max_turns,
            max_output_tokens=settings.agent_max_output_tokens,
            max_step_tokens=settings.agent_max_step_tokens,
            deadline_s=max(1.0, min(settings.agent_deadline_s, until_deadline - DEADLINE_MARGIN_S)),
        )
        log.info("agent loop starting", model=model, rules=[r.source for r in rules],
                 prior_messages=len(messages) - 1)  # fmt: skip
        result = await run_loop(
            self._model, model=model, system_prompt=SYSTEM_PROMPT, rules=render_rules(rules),
            messages=messages, toolbox=toolbox, limits=limits,
        )  # fmt: skip
        transcript_id = None
        if result.turns > 0 or result.failure is None:
            transcript_id = await self._save_transcript(
                command, Transcript(result.messages, [*interactions, command.interaction_id]),
                model=result.model or model,
            )  # fmt: skip
        data = AgentData(
            step=command.step.value,
            files_written=toolbox.written[:50],
            turns=result.turns,
            usage=usage_summary(
                result.usage, model=result.model or model, table=settings.agent_prices
            ),
            model=result.model or model,
            transcript_artifact_id=transcript_id,
        )
        return decide(command, result, data)

    async def _save_transcript(
        self, command: StepRequestedData, transcript: Transcript, *, model: str
    ) -> str | None:
        """The model's work is done and paid for when this runs: a store outage must not turn
        it into a ``transient`` answer whose retry pays for a whole new conversation. The
        write is retried while the store is unreachable (a restart takes seconds); after
        that, or on any other store error, the step is answered without a stored transcript
        (FixCompilationErrors then starts a new conversation)."""
        for delay in (*self._transcript_retry_delays_s, None):
            try:
                return await self._transcripts.save(
                    command.account_id, command.project_id, command.session_id,
                    transcript=transcript, model=model,
                )  # fmt: skip
            except ConnectionFailure as exc:
                if delay is None:
                    log.warning("transcript not stored: the store stayed unreachable",
                                error=type(exc).__name__)  # fmt: skip
                    return None
                log.warning("transcript store unreachable; retrying", error=type(exc).__name__,
                            retry_in_s=delay)  # fmt: skip
                await asyncio.sleep(delay)
            except PyMongoError as exc:
                log.warning("transcript not stored", error=f"{type(exc).__name__}: {exc}"[:500])
                return None
        return None  # unreachable: the last delay is None

    async def _conversation(self, command: StepRequestedData) -> tuple[list[Message], list[str]]:
        opening: list[Message] = [
            {"role": "user", "content": [{"type": "text", "text": generate_prompt(command)}]}
        ]
        if command.step is Step.GENERATE_TESTS_AND_FIXTURES:
            return opening, []
        stored = await self._transcripts.load(
            command.account_id, command.project_id, command.session_id
        )
        if stored is None:
            log.warning("no stored conversation for this session; starting a new one")
            return continue_with(opening, fix_prompt(command)), []
        return continue_with(stored.messages, fix_prompt(command)), stored.interactions
