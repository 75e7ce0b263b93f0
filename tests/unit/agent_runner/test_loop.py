"""The tool-use loop against a fake model: tools run, results return, bounds stop it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cts_agent_runner.jail import Jail
from cts_agent_runner.loop import CUT_OFF, Limits, LoopResult, run_loop
from cts_agent_runner.model import ModelFailure, ModelRequest
from cts_agent_runner.tools import ToolBox

from .fakes import TEST_FILE, FakeModel, Reply, reply, text, use

LIMITS = Limits(max_turns=5, max_output_tokens=1000, max_step_tokens=10_000, deadline_s=60)


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
                            messages=messages, toolbox=box, limits=limits, **kwargs)  # fmt: skip
    return result, model, box


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
    assert result.usage.total == 3 * 40
    assert result.model == "fake-model"


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
    assert [t["name"] for t in first.tools] == ["list_files", "read_file", "write_file", "search"]


async def test_the_turn_limit_stops_the_loop(tmp_path: Path) -> None:
    looping = [reply(use(f"t{n}", "list_files")) for n in range(10)]
    result, model, _ = await run(tmp_path, looping, Limits(3, 1000, 10_000, 60))
    assert (result.stopped, result.turns, len(model.requests)) == ("max_turns", 3, 3)


async def test_the_token_budget_stops_the_loop(tmp_path: Path) -> None:
    looping = [reply(use(f"t{n}", "list_files"), tokens=100) for n in range(10)]
    result, _, _ = await run(tmp_path, looping, Limits(10, 1000, 750, 60))
    assert (result.stopped, result.turns) == ("token_budget", 2)


async def test_the_deadline_stops_the_loop(tmp_path: Path) -> None:
    ticks = itertools.count(0, 25)
    looping = [reply(use(f"t{n}", "list_files")) for n in range(10)]
    result, _, _ = await run(tmp_path, looping, clock=lambda: float(next(ticks)))
    # The clock reads 0 (start), 25 and 50 (both before the 60 s deadline), then 75.
    assert (result.stopped, result.turns) == ("deadline", 2)


async def test_a_model_failure_stops_the_loop_and_is_reported(tmp_path: Path) -> None:
    failure = ModelFailure("Anthropic API error 401", transient=False)
    result, _, _ = await run(tmp_path, [reply(use("t1", "list_files")), failure])
    assert (result.stopped, result.failure, result.turns) == ("model_failure", failure, 1)


async def test_a_reply_cut_at_max_tokens_is_continued(tmp_path: Path) -> None:
    result, model, _ = await run(tmp_path, [
        reply(text("half a"), stop="max_tokens"),
        reply(use("t1", "list_files"), stop="max_tokens"),
        reply(text("done")),
    ])  # fmt: skip
    assert result.stopped == "done"
    assert model.requests[1].messages[-1]["content"][0]["text"] == CUT_OFF
    last = model.requests[2].messages[-1]["content"]
    assert [b["type"] for b in last] == ["tool_result", "text"]


@pytest.mark.parametrize(("stop", "stopped"), [("refusal", "refusal"), ("end_turn", "done")])
async def test_an_empty_or_refused_reply_ends_the_loop(
    tmp_path: Path, stop: str, stopped: str
) -> None:
    def empty(request: ModelRequest) -> Any:
        return reply(stop=stop)

    result, _, _ = await run(tmp_path, [reply(text("no"), stop=stop), empty])
    assert result.stopped == stopped
    assert result.turns == 1
