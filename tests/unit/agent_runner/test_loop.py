"""The tool-use loop against a fake model: tools run, results return, every stop reason is acted
on, and the bounds (turns, money, wall clock) stop it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cts_agent_runner.compaction import NOTE, REMOVED
from cts_agent_runner.conversation import strip_cache_control
from cts_agent_runner.jail import Jail
from cts_agent_runner.loop import Limits, LoopResult, run_loop
from cts_agent_runner.model import ModelFailure, ModelReply, TokenUsage
from cts_agent_runner.pricing import Pricer, Prices
from cts_agent_runner.replies import CUT_OFF, CUT_TOOL
from cts_agent_runner.tools import ToolBox

from .fakes import TEST_FILE, FakeModel, Reply, reply, text, use

LIMITS = Limits(max_turns=5, max_output_tokens=1000, deadline_s=60, budget_usd=10.0)
PRICER = Pricer({"fake-model": Prices(input=1, output=1, cache_read=1, cache_write=1,
                                      cache_write_1h=1)})  # fmt: skip
"""$1 per million tokens of any kind: a reply of ``reply()`` (40 tokens) costs $0.00004."""
THOUGHT = {"type": "thinking", "thinking": "Read the design first.", "signature": "sig-1"}


def toolbox(root: Path) -> ToolBox:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "design.md").write_text("# Design\n")
    jail = Jail(root, writable=(TEST_FILE,), writable_dirs=("test/support",))
    return ToolBox(jail, read_cap=10_000, write_cap=10_000)


async def run(
    tmp_path: Path, replies: Sequence[Reply], limits: Limits = LIMITS, **kwargs: Any
) -> tuple[LoopResult, FakeModel, ToolBox]:
    model = FakeModel(replies)
    box = toolbox(tmp_path)
    messages: list[dict[str, Any]] = [{"role": "user", "content": [text("go")]}]
    result = await run_loop(model, model="m", system_prompt="SYS", rules="RULES",
                            messages=messages, toolbox=box, limits=limits, pricer=PRICER,
                            **kwargs)  # fmt: skip
    return result, model, box


def stopped(stop: str, *blocks: dict[str, Any], details: dict[str, Any] | None = None) -> Any:
    return ModelReply(list(blocks), stop, TokenUsage(10, 10, 10, 10), "fake-model", details)


async def test_tools_run_and_their_results_go_back_to_the_model(tmp_path: Path) -> None:
    result, model, box = await run(tmp_path, [
        reply(text("reading"), use("t1", "read_file", path="docs/design.md")),
        reply(use("t2", "write_file", path=TEST_FILE, content="ok"),
              use("t3", "write_file", path="lib/x.ex", content="no")),
        reply(text("All done.")),
    ])  # fmt: skip
    assert (result.stopped, result.turns, result.final_text) == ("done", 3, "All done.")
    assert box.written == [TEST_FILE]
    second = model.requests[1].messages[-1]["content"]
    assert second[0]["tool_use_id"] == "t1"
    assert second[0]["content"].endswith("# Design\n")
    third = model.requests[2].messages[-1]["content"]
    assert [(b["tool_use_id"], b.get("is_error", False)) for b in third] == [
        ("t2", False),
        ("t3", True),
    ]
    assert third[1]["content"].startswith("refused: writing 'lib/x.ex' is not allowed")
    assert result.usage == TokenUsage(30, 30, 30, 30)
    assert result.cost_usd == pytest.approx(120 / 1_000_000)
    assert result.model == "fake-model"


async def test_thinking_goes_back_verbatim_in_the_turn_that_used_the_tool(tmp_path: Path) -> None:
    result, model, _ = await run(tmp_path, [
        reply(THOUGHT, text("reading"), use("t1", "read_file", path="docs/design.md")),
        reply(text("done")),
    ])  # fmt: skip
    sent = model.requests[1].messages[1]["content"]
    assert sent[0] == THOUGHT
    assert [b["type"] for b in sent] == ["thinking", "text", "tool_use"]
    assert "cache_control" not in str(model.requests[1].messages[1])
    assert result.messages[1]["content"][0] == THOUGHT


async def test_thinking_settings_go_into_every_request(tmp_path: Path) -> None:
    limits = Limits(5, 64_000, 60, 10.0, thinking={"type": "adaptive"},
                    output_config={"effort": "high"})  # fmt: skip
    _, model, _ = await run(tmp_path, [reply(text("done"))], limits)
    assert model.requests[0].thinking == {"type": "adaptive"}
    assert model.requests[0].output_config == {"effort": "high"}
    assert model.requests[0].max_tokens == 64_000


async def test_system_rules_and_the_newest_block_carry_cache_control(tmp_path: Path) -> None:
    _, model, _ = await run(tmp_path, [
        reply(use("t1", "list_files", dir=".")), reply(text("done")),
    ])  # fmt: skip
    first, second = model.requests
    assert first.system == [
        {"type": "text", "text": "SYS"},
        {"type": "text", "text": "RULES", "cache_control": {"type": "ephemeral"}},
    ]
    assert first.messages[-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in str(second.messages[:-1])
    assert second.messages[-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert [t["name"] for t in first.tools] == [
        "list_files",
        "read_file",
        "write_file",
        "edit_file",
        "search",
    ]


async def test_a_tool_call_cut_at_max_tokens_is_not_run_and_asks_for_smaller_writes(
    tmp_path: Path,
) -> None:
    cut = use("t2", "write_file", path=TEST_FILE, content="defmodule Half" * 30)
    result, model, box = await run(tmp_path, [
        reply(THOUGHT, use("t1", "list_files"), cut, stop="max_tokens"),
        reply(use("t3", "write_file", path=TEST_FILE, content="part 1\n")),
        reply(use("t4", "write_file", path=TEST_FILE, content="part 2\n", append=True)),
        reply(text("done")),
    ])  # fmt: skip
    assert result.stopped == "done"
    sent = model.requests[1].messages
    assert sent[1]["content"][0] == THOUGHT
    assert sent[1]["content"][2]["input"] == {"path": TEST_FILE}, "the long input is not kept"
    answers = sent[2]["content"]
    assert [(b.get("tool_use_id"), b.get("is_error", False)) for b in answers] == [
        ("t1", False), ("t2", True), (None, False),
    ]  # fmt: skip
    assert answers[1]["content"] == CUT_TOOL
    assert answers[2]["text"] == CUT_OFF
    assert (tmp_path / TEST_FILE).read_text() == "part 1\npart 2\n"
    assert box.written == [TEST_FILE]


async def test_a_thinking_block_cut_before_its_signature_is_dropped(tmp_path: Path) -> None:
    unsigned = {"type": "thinking", "thinking": "half a tho", "signature": ""}
    _, model, _ = await run(tmp_path, [
        reply(THOUGHT, text("Let me"), unsigned, stop="max_tokens"),
        reply(text("done")),
    ])  # fmt: skip
    sent = strip_cache_control(model.requests[1].messages)
    assert sent[1]["content"] == [THOUGHT, text("Let me")]
    assert sent[2]["content"] == [text(CUT_OFF)]


async def test_replies_cut_again_and_again_end_the_loop(tmp_path: Path) -> None:
    result, _, _ = await run(tmp_path, [reply(text("x" * 50), stop="max_tokens")] * 3)
    assert (result.stopped, result.turns, result.detail) == ("max_tokens", 3, "1000")


async def test_a_paused_turn_is_continued_within_the_same_assistant_message(
    tmp_path: Path,
) -> None:
    result, model, _ = await run(tmp_path, [
        stopped("pause_turn", THOUGHT, text("Still working")),
        reply(use("t1", "list_files")),
        reply(text("done")),
    ])  # fmt: skip
    assert result.stopped == "done"
    resumed = strip_cache_control(model.requests[1].messages)
    assert resumed[-1]["role"] == "assistant"
    assert resumed[-1]["content"][:2] == [THOUGHT, text("Still working")]
    after = model.requests[2].messages
    assert [m["role"] for m in after] == ["user", "assistant", "user"]
    assert [b["type"] for b in after[1]["content"]] == ["thinking", "text", "tool_use"]


async def test_a_refusal_stops_with_the_models_reason(tmp_path: Path) -> None:
    details = {"type": "refusal", "category": "cyber", "explanation": "exploit code"}
    result, _, _ = await run(tmp_path, [stopped("refusal", text("I can't help"), details=details)])
    assert result.stopped == "refusal"
    assert result.detail == "category cyber; exploit code; it said: I can't help"


@pytest.mark.parametrize("stop", ["stop_sequence", "a_reason_from_the_future", None])
async def test_an_unknown_stop_reason_stops_naming_it(tmp_path: Path, stop: str | None) -> None:
    result, _, _ = await run(tmp_path, [stopped(stop, text("hm"))])  # type: ignore[arg-type]
    assert (result.stopped, result.detail) == ("unexpected_stop", str(stop))


async def test_a_context_overflow_compacts_old_results_once_then_gives_up(tmp_path: Path) -> None:
    big = "x" * 5000
    result, model, _ = await run(tmp_path, [
        reply(THOUGHT, use("t1", "read_file", path="docs/design.md")),
        reply(use("t2", "write_file", path=TEST_FILE, content=big)),
        stopped("model_context_window_exceeded", text("cut")),
        reply(text("done after compaction")),
    ])  # fmt: skip
    assert (result.stopped, result.final_text) == ("done", "done after compaction")
    compacted = strip_cache_control(model.requests[3].messages)
    assert "thinking" not in str(compacted)
    assert big not in str(compacted)
    assert REMOVED in str(compacted)
    assert compacted[-1] == {"role": "user", "content": [text(NOTE)]}
    assert [m["role"] for m in compacted] == ["user", "assistant"] * 3 + ["user"]

    overflow = stopped("model_context_window_exceeded")
    again, _, _ = await run(tmp_path, [reply(use("t1", "read_file", path="docs/design.md"),
                                             text("y" * 3000)), overflow, overflow])  # fmt: skip
    assert again.stopped == "context_window"


async def test_the_turn_limit_stops_the_loop(tmp_path: Path) -> None:
    looping = [reply(use(f"t{n}", "list_files")) for n in range(10)]
    result, model, _ = await run(tmp_path, looping, Limits(3, 1000, 60, 10.0))
    assert (result.stopped, result.turns, len(model.requests)) == ("max_turns", 3, 3)


async def test_the_money_budget_stops_the_loop(tmp_path: Path) -> None:
    looping = [reply(use(f"t{n}", "list_files"), tokens=100_000) for n in range(10)]
    result, _, _ = await run(tmp_path, looping, Limits(10, 1000, 60, budget_usd=0.75))
    # $0.40 per reply: the third call would start with $0.80 already spent.
    assert (result.stopped, result.turns) == ("budget", 2)
    assert result.cost_usd == pytest.approx(0.8)
    nothing_left, model, _ = await run(tmp_path, looping, Limits(10, 1000, 60, budget_usd=0))
    assert (nothing_left.stopped, nothing_left.turns, model.requests) == ("budget", 0, [])


async def test_the_deadline_stops_the_loop(tmp_path: Path) -> None:
    ticks = itertools.count(0, 25)
    looping = [reply(use(f"t{n}", "list_files")) for n in range(10)]
    result, _, _ = await run(tmp_path, looping, clock=lambda: float(next(ticks)))
    # The clock reads 0 (start), 25 and 50 (both before the 60 s deadline), then 75.
    assert (result.stopped, result.turns) == ("deadline", 2)


async def test_a_model_failure_stops_the_loop_with_what_it_was_billed(tmp_path: Path) -> None:
    failure = ModelFailure("overloaded", transient=True, usage=TokenUsage(input=500))
    result, _, _ = await run(tmp_path, [reply(use("t1", "list_files")), failure])
    assert (result.stopped, result.failure, result.turns) == ("model_failure", failure, 1)
    assert result.usage.input == 510


async def test_every_turn_that_goes_on_is_shown_to_on_turn(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    async def on_turn(result: LoopResult) -> None:
        seen.append((result.turns, len(result.messages)))

    await run(tmp_path, [reply(use("t1", "list_files")), reply(use("t2", "list_files")),
                         reply(text("done"))], on_turn=on_turn)  # fmt: skip
    assert seen == [(1, 3), (2, 5)]


async def test_a_reply_from_an_unlisted_id_is_priced_as_the_model_asked_for(
    tmp_path: Path,
) -> None:
    dated = ModelReply([text("done")], "end_turn", TokenUsage(output=1_000_000), "m-20270101")
    pricer = Pricer({"m": Prices(input=1, output=3, cache_read=1, cache_write=1,
                                 cache_write_1h=1)})  # fmt: skip
    result = await run_loop(FakeModel([dated]), model="m", system_prompt="S", rules="R",
                            messages=[{"role": "user", "content": "go"}], toolbox=toolbox(tmp_path),
                            limits=LIMITS, pricer=pricer)  # fmt: skip
    assert result.cost_usd == pytest.approx(3)
