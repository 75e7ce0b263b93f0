"""Where a step's conversation starts and where it is kept.

A step starts from its own checkpoint when an earlier try of the same step (same step, same fix
round) failed part-way: the conversation verbatim, the files it wrote, its turns. Otherwise
Generate starts anew and Fix continues the session's stored conversation. After every turn the
conversation so far is checkpointed; when the step ends, the finished conversation replaces the
stored one (thinking stripped, bounded) and the checkpoint goes with it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from pymongo.errors import ConnectionFailure, PyMongoError

from cts_agent_runner.conversation import Message, continue_with
from cts_agent_runner.loop import LoopResult
from cts_agent_runner.project_context import ProjectContext
from cts_agent_runner.prompts import fix_prompt, opening_messages
from cts_agent_runner.transcripts import Checkpoint, Transcript, TranscriptStore
from cts_contracts import Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.logs import get_logger

log = get_logger(__name__)


@dataclass
class Start:
    messages: list[Message]
    interactions: list[str]
    """Interactions whose turns the stored conversation holds."""
    written: list[str] = field(default_factory=list)
    turns: int = 0
    """Turns an earlier try of this step already took (they count against the turn limit)."""
    resumed: bool = False


class StepMemory:
    def __init__(self, store: TranscriptStore, command: StepRequestedData, *, checkpoint_cap: int,
                 retry_delays_s: tuple[float, ...]) -> None:  # fmt: skip
        self._store = store
        self._command = command
        self._cap = checkpoint_cap
        self._retry_delays_s = retry_delays_s
        self._scope = (command.account_id, command.project_id, command.session_id)

    async def start(self, context: ProjectContext) -> Start:
        command = self._command
        opening = opening_messages(context, command)
        stored = await self._store.load(*self._scope)
        checkpoint = stored.checkpoint if stored else None
        if checkpoint is not None and checkpoint.continues(command.step.value, command.fix_attempt):
            log.info("resuming the step from its checkpoint", turns_done=checkpoint.turns,
                     from_interaction=checkpoint.interaction_id)  # fmt: skip
            interactions = [*(stored.interactions if stored else []), checkpoint.interaction_id]
            return Start(checkpoint.messages, interactions, list(checkpoint.written),
                         checkpoint.turns, resumed=True)  # fmt: skip
        if command.step is Step.GENERATE_TESTS_AND_FIXTURES:
            return Start(opening, [])
        if stored is None or not stored.messages:
            log.warning("no stored conversation for this session; starting a new one")
            return Start(continue_with(opening, fix_prompt(command)), [])
        return Start(continue_with(stored.messages, fix_prompt(command)), stored.interactions)

    async def checkpoint(self, result: LoopResult, start: Start, written: list[str]) -> None:
        command = self._command
        checkpoint: Checkpoint | None = Checkpoint(
            step=command.step.value, fix_attempt=command.fix_attempt,
            interaction_id=command.interaction_id, messages=result.messages,
            written=list(written), turns=start.turns + result.turns,
        )  # fmt: skip
        if len(json.dumps(result.messages)) > self._cap:
            log.warning("the conversation is over the checkpoint cap: a retry starts the step "
                        "anew", cap_bytes=self._cap)  # fmt: skip
            checkpoint = None
        try:
            await self._store.save_checkpoint(*self._scope, checkpoint)
        except PyMongoError as exc:
            log.warning("checkpoint not stored", error=type(exc).__name__)

    async def finish(self, transcript: Transcript, *, model: str) -> str | None:
        """The model's work is done and paid for when this runs: a store outage must not turn
        it into a ``transient`` answer whose retry pays for a whole new conversation. The
        write is retried while the store is unreachable (a restart takes seconds); after
        that, or on any other store error, the step is answered without a stored transcript
        (FixCompilationErrors then starts a new conversation)."""
        for delay in (*self._retry_delays_s, None):
            try:
                return await self._store.save(*self._scope, transcript=transcript, model=model)
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
