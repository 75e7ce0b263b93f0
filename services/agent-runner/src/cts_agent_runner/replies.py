"""What each kind of reply adds to the conversation, by why the model stopped.

Blocks go back exactly as they came (thinking included), except where a reply was cut off:
a cut-off tool call is not run (its input is incomplete) and is answered with an error result
asking for smaller writes; a thinking block cut off before its signature arrived cannot be sent
back and is dropped.
"""

from __future__ import annotations

from typing import Any

from cts_agent_runner.conversation import Message, blocks
from cts_agent_runner.tools import ToolBox
from cts_runtime.logs import get_logger

log = get_logger(__name__)

CUT_OFF = (
    "Your reply was cut off at the output limit. Continue; keep text between tool calls short "
    "and write long files in parts (write_file, then write_file with append: true)."
)
CUT_TOOL = (
    "not run: your reply reached the output limit while this call was being written, so its "
    "input is incomplete. Write the file in smaller parts: write_file with the first part, "
    "then write_file with append: true for each further part."
)
KEEP_CUT_INPUT = 200
"""A cut-off call's short inputs (its path) stay in the conversation; its long ones do not."""


def append_assistant(messages: list[Message], content: list[dict[str, Any]]) -> None:
    """A reply after ``pause_turn`` continues the same assistant turn: it joins that message."""
    if messages and messages[-1]["role"] == "assistant":
        messages[-1]["content"] = [*blocks(messages[-1]["content"]), *content]
    else:
        messages.append({"role": "assistant", "content": list(content)})


def append_user(messages: list[Message], content: list[dict[str, Any]]) -> None:
    if messages and messages[-1]["role"] == "user":
        messages[-1]["content"] = [*blocks(messages[-1]["content"]), *content]
    else:
        messages.append({"role": "user", "content": list(content)})


async def run_tools(toolbox: ToolBox, uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
    log.info("tools ran", tools=[u["name"] for u in uses],
             refused=sum(1 for r in results if r.get("is_error")))  # fmt: skip
    return results


async def tool_turn(
    messages: list[Message], content: list[dict[str, Any]], toolbox: ToolBox
) -> None:
    append_assistant(messages, content)
    uses = [block for block in content if block.get("type") == "tool_use"]
    append_user(messages, await run_tools(toolbox, uses))


async def cut_turn(
    messages: list[Message], content: list[dict[str, Any]], toolbox: ToolBox
) -> bool:
    """A reply cut at ``max_tokens``: what is whole goes back and runs; the rest is answered
    with the reason. Whether a tool call was lost to the cut."""
    kept = list(content)
    if kept and kept[-1].get("type") == "thinking" and not kept[-1].get("signature"):
        kept.pop()
    cut = kept[-1] if kept and kept[-1].get("type") == "tool_use" else None
    if cut is not None:
        short = {k: v for k, v in (cut.get("input") or {}).items()
                 if not isinstance(v, str) or len(v) <= KEEP_CUT_INPUT}  # fmt: skip
        kept[-1] = {**cut, "input": short}
        log.warning("a tool call was cut off at the output limit and not run",
                    tool=cut.get("name"), path=str(short.get("path", ""))[:200])  # fmt: skip
    results: list[dict[str, Any]] = []
    if kept:
        append_assistant(messages, kept)
        # Only the last block can have been cut: every tool call before it is whole.
        whole = [b for b in kept if b.get("type") == "tool_use" and b is not kept[-1]]
        results = await run_tools(toolbox, whole) if whole else []
    if cut is not None:
        results.append({"type": "tool_result", "tool_use_id": cut["id"], "content": CUT_TOOL,
                        "is_error": True})  # fmt: skip
    append_user(messages, [*results, {"type": "text", "text": CUT_OFF}])
    return cut is not None


def refusal_reason(content: list[dict[str, Any]], details: dict[str, Any] | None) -> str:
    parts = []
    if details:
        category, explanation = details.get("category"), details.get("explanation")
        parts += [f"category {category}" if category else "", str(explanation or "")]
    said = " ".join(b.get("text", "") for b in content if b.get("type") == "text").strip()
    parts.append(f"it said: {said[:500]}" if said else "")
    return "; ".join(p for p in parts if p) or "no reason given"


def final_text(content: list[dict[str, Any]]) -> str:
    return "\n".join(b["text"] for b in content if b.get("type") == "text")
