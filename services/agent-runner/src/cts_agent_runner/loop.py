"""The bounded tool-use loop: call the model, act on why it stopped, repeat until it ends its turn
or a bound (turns, money, wall clock) is reached. Every stop reason is handled on purpose; one
that is not known ends the loop as an error naming it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cts_agent_runner import replies
from cts_agent_runner.compaction import compact
from cts_agent_runner.conversation import Message, with_cache_breakpoint
from cts_agent_runner.model import ModelFailure, ModelPort, ModelReply, ModelRequest, TokenUsage
from cts_agent_runner.pricing import Pricer
from cts_agent_runner.tools import TOOL_SPECS, ToolBox
from cts_runtime.logs import get_logger

log = get_logger(__name__)

MAX_CUTS_IN_A_ROW = 3
"""Replies cut at the output limit one after another before the step gives up."""


@dataclass(frozen=True)
class Limits:
    max_turns: int
    max_output_tokens: int
    deadline_s: float
    budget_usd: float
    """What this step may still spend (the session's budget less what it has spent)."""
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None


@dataclass
class LoopResult:
    messages: list[Message]
    turns: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: float = 0.0
    model: str | None = None
    stopped: str = "done"
    """done | refusal | max_turns | budget | deadline | max_tokens | context_window |
    unexpected_stop | model_failure"""
    detail: str | None = None
    failure: ModelFailure | None = None
    final_text: str = ""
    cuts_in_a_row: int = 0
    compacted: bool = False


OnTurn = Callable[[LoopResult], Awaitable[None]]


def _system(system_prompt: str, rules: str) -> list[dict[str, Any]]:
    # One breakpoint after the rules caches the tools, the instructions and the rules together.
    return [
        {"type": "text", "text": system_prompt},
        {"type": "text", "text": rules, "cache_control": {"type": "ephemeral"}},
    ]


def _bound_reached(result: LoopResult, limits: Limits, remaining_s: float) -> str | None:
    if result.turns >= limits.max_turns:
        return "max_turns"
    if result.cost_usd >= limits.budget_usd:
        return "budget"
    return "deadline" if remaining_s <= 0 else None


async def run_loop(
    model_port: ModelPort,
    *,
    model: str,
    system_prompt: str,
    rules: str,
    messages: list[Message],
    toolbox: ToolBox,
    limits: Limits,
    pricer: Pricer,
    on_turn: OnTurn | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> LoopResult:
    """Runs until the model ends its turn or a bound stops it; ``messages`` grows in place and
    ``on_turn`` sees it after every turn that goes on (the step's checkpoint)."""
    result = LoopResult(messages=messages)
    deadline = clock() + limits.deadline_s
    system = _system(system_prompt, rules)
    while True:
        remaining = deadline - clock()
        if bound := _bound_reached(result, limits, remaining):
            result.stopped = bound
            break
        request = ModelRequest(
            model=model, system=system, tools=TOOL_SPECS, messages=with_cache_breakpoint(messages),
            max_tokens=limits.max_output_tokens, thinking=limits.thinking,
            output_config=limits.output_config,
        )  # fmt: skip
        try:
            reply = await asyncio.wait_for(model_port.create(request), timeout=remaining)
        except TimeoutError:
            result.stopped = "deadline"
            break
        except ModelFailure as failure:
            result.usage += failure.usage
            result.cost_usd += pricer.cost(failure.usage, model)
            result.stopped, result.failure = "model_failure", failure
            break
        _count(result, reply, pricer, requested=model)
        if not await _act(result, reply, toolbox, limits):
            break
        if on_turn is not None:
            await on_turn(result)
    return result


def _count(result: LoopResult, reply: ModelReply, pricer: Pricer, *, requested: str) -> None:
    result.turns += 1
    result.usage += reply.usage
    # Priced by the model that answered; an alias may come back as a dated id we do not list.
    priced_as = reply.model if pricer.has_price(reply.model) else requested
    result.cost_usd += pricer.cost(reply.usage, priced_as)
    result.model = reply.model
    usage = reply.usage
    log.info("model turn", turn=result.turns, stop_reason=reply.stop_reason,
             input_tokens=usage.input, output_tokens=usage.output, cache_read=usage.cache_read,
             cache_write=usage.cache_write, step_cost_usd=round(result.cost_usd, 4))  # fmt: skip


async def _act(result: LoopResult, reply: ModelReply, toolbox: ToolBox, limits: Limits) -> bool:
    """Apply one reply to the conversation; whether the loop goes on."""
    messages, content, stop = result.messages, reply.content, reply.stop_reason
    result.cuts_in_a_row = result.cuts_in_a_row + 1 if stop == "max_tokens" else 0
    if stop == "tool_use" and any(b.get("type") == "tool_use" for b in content):
        await replies.tool_turn(messages, content, toolbox)
        return True
    if stop == "pause_turn":
        if content:
            replies.append_assistant(messages, content)
        return True
    if stop == "max_tokens":
        await replies.cut_turn(messages, content, toolbox)
        if result.cuts_in_a_row < MAX_CUTS_IN_A_ROW:
            return True
        result.stopped, result.detail = "max_tokens", str(limits.max_output_tokens)
        return False
    if stop == "model_context_window_exceeded":
        return _compact(result)
    _end(result, reply)
    return False


def _end(result: LoopResult, reply: ModelReply) -> None:
    """The reply ends the loop: done, refused, or stopped for a reason nobody planned for."""
    content, stop = reply.content, reply.stop_reason
    if content:
        replies.append_assistant(result.messages, content)
    if stop == "end_turn":
        result.final_text = replies.final_text(content)
    elif stop == "refusal":
        result.stopped = "refusal"
        result.detail = replies.refusal_reason(content, reply.stop_details)
    else:
        result.stopped, result.detail = "unexpected_stop", str(stop)


def _compact(result: LoopResult) -> bool:
    """Once per step: go on with old tool results taken out; a second overflow ends it."""
    shorter = None if result.compacted else compact(result.messages)
    if shorter is None:
        result.stopped = "context_window"
        return False
    before = sum(len(str(m["content"])) for m in result.messages)
    result.messages[:] = shorter
    result.compacted = True
    log.warning("context window exceeded: compacted the conversation", chars_before=before,
                chars_after=sum(len(str(m["content"])) for m in shorter))  # fmt: skip
    return True
