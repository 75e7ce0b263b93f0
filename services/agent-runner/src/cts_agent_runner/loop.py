"""The bounded tool-use loop: call the model, run the tools it asks for, repeat until it stops
or a bound (turns, token budget, wall clock) is reached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cts_agent_runner.conversation import Message, with_cache_breakpoint
from cts_agent_runner.model import ModelFailure, ModelPort, ModelRequest, TokenUsage
from cts_agent_runner.tools import TOOL_SPECS, ToolBox
from cts_runtime.logs import get_logger

log = get_logger(__name__)

CUT_OFF = (
    "Your reply was cut off at the output limit. Continue; write long files in one write_file "
    "call each and keep text between tool calls short."
)


@dataclass(frozen=True)
class Limits:
    max_turns: int
    max_output_tokens: int
    max_step_tokens: int
    deadline_s: float


@dataclass
class LoopResult:
    messages: list[Message]
    turns: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    model: str | None = None
    stopped: str = "done"
    """done | refusal | max_turns | token_budget | deadline | model_failure"""
    failure: ModelFailure | None = None
    final_text: str = ""


def _system(system_prompt: str, rules: str) -> list[dict[str, Any]]:
    # One breakpoint after the rules caches the tools, the instructions and the rules together.
    return [
        {"type": "text", "text": system_prompt},
        {"type": "text", "text": rules, "cache_control": {"type": "ephemeral"}},
    ]


async def _run_tools(toolbox: ToolBox, uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for use in uses:
        result = await toolbox.call(use["name"], use.get("input"))
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": use["id"],
            "content": result.text,
        }
        if result.is_error:
            block["is_error"] = True
        results.append(block)
    log.info(
        "tools ran",
        tools=[u["name"] for u in uses],
        refused=sum(1 for r in results if r.get("is_error")),
    )
    return results


async def run_loop(
    model_port: ModelPort,
    *,
    model: str,
    system_prompt: str,
    rules: str,
    messages: list[Message],
    toolbox: ToolBox,
    limits: Limits,
    clock: Callable[[], float] = time.monotonic,
) -> LoopResult:
    """Runs until the model ends its turn or a bound stops it; ``messages`` grows in place."""
    result = LoopResult(messages=messages)
    deadline = clock() + limits.deadline_s
    system = _system(system_prompt, rules)
    while True:
        if result.turns >= limits.max_turns:
            result.stopped = "max_turns"
            break
        if result.usage.total >= limits.max_step_tokens:
            result.stopped = "token_budget"
            break
        remaining = deadline - clock()
        if remaining <= 0:
            result.stopped = "deadline"
            break
        request = ModelRequest(
            model=model,
            system=system,
            tools=TOOL_SPECS,
            messages=with_cache_breakpoint(messages),
            max_tokens=limits.max_output_tokens,
        )
        try:
            reply = await asyncio.wait_for(model_port.create(request), timeout=remaining)
        except TimeoutError:
            result.stopped = "deadline"
            break
        except ModelFailure as failure:
            result.stopped, result.failure = "model_failure", failure
            break
        result.turns += 1
        result.usage += reply.usage
        result.model = reply.model
        usage = reply.usage
        log.info("model turn", turn=result.turns, stop_reason=reply.stop_reason,
                 input_tokens=usage.input, output_tokens=usage.output,
                 cache_read=usage.cache_read, cache_write=usage.cache_write)  # fmt: skip
        if not reply.content:
            break
        messages.append({"role": "assistant", "content": reply.content})
        uses = [block for block in reply.content if block["type"] == "tool_use"]
        if uses:
            results = await _run_tools(toolbox, uses)
            if reply.stop_reason == "max_tokens":
                results.append({"type": "text", "text": CUT_OFF})
            messages.append({"role": "user", "content": results})
            continue
        if reply.stop_reason == "max_tokens":
            messages.append({"role": "user", "content": [{"type": "text", "text": CUT_OFF}]})
            continue
        if reply.stop_reason == "refusal":
            result.stopped = "refusal"
        result.final_text = "\n".join(b["text"] for b in reply.content if b["type"] == "text")
        break
    return result
