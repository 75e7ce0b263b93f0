"""Replies as Claude really sends them, through the real SDK (streamed) against the strict
scripted server, with claims, checkpoints and transcripts in the real store: thinking sent back
verbatim within a step and stripped between steps, a write cut at max_tokens never run, a paused
turn continued, a refusal or the turn limit never ok, a context overflow compacted, and a stream
that fails part-way resumed from the checkpoint by the step's retry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cts_agent_runner.compaction import REMOVED
from cts_agent_runner.conversation import strip_cache_control
from cts_agent_runner.replies import CUT_TOOL
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import AgentData, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome
from tests.integration.agent_runner.conftest import (
    DESIGN,
    FIXTURE_FILE,
    FIXTURE_TEXT,
    MODULE,
    TEST_FILE,
    TEST_TEXT,
    Scripted,
    generate_turns,
    thought,
)

Settings = Callable[..., AgentRunnerSettings]
Steps = Callable[[AgentRunnerSettings], AgentStep]


def write(path: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"type": "tool_use", "name": "write_file", "input": {"path": path, "content": content,
                                                               **extra}}  # fmt: skip


READ = {"content": [thought("Read the design."),
                    {"type": "tool_use", "name": "read_file",
                     "input": {"path": DESIGN}}]}  # fmt: skip
WRITE_FIXTURE = {"content": [thought("Now the fixtures."), write(FIXTURE_FILE, FIXTURE_TEXT)]}
END = {"content": [thought("All written."), {"type": "text", "text": "Wrote both files."}]}
GENERATE = {"contains": MODULE, "step": "generate_tests_and_fixtures"}
"""Chosen by the step's prompt, as the demo's script is: the agent's own notes after it (a
reply was cut off, the conversation was compacted) must not lose the conversation."""


def data_of(outcome: StepOutcome) -> AgentData:
    assert isinstance(outcome.data, AgentData)
    return outcome.data


def kinds(message: dict[str, Any]) -> list[str]:
    return [block["type"] for block in message["content"]]


async def test_thinking_goes_back_verbatim_within_a_step_and_is_stripped_between_steps(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
    workspace: Path, mongo_db: Any,
) -> None:  # fmt: skip
    fix_turns = [
        {"content": [thought("The test calls the fixture unqualified."),
                     write(TEST_FILE, TEST_TEXT.replace("user_struct()", "user_struct(%{})"))]},
        END,
    ]  # fmt: skip
    server = scripted(
        {"name": "fix", "match": {"contains": MODULE, "step": "fix_compilation_errors"},
         "turns": fix_turns},
        {"name": "generate", "match": {"contains": MODULE}, "turns": generate_turns(thinking=True)},
    )  # fmt: skip
    step = make_step(make_settings(server))
    generated = await step(command)
    assert generated.status is ResultStatus.OK, generated
    requests = server.llm.requests
    assert [(r["status"], r["stream"]) for r in requests] == [(200, True)] * 3
    assert requests[0]["body"]["thinking"] == {"type": "adaptive"}
    assert requests[0]["body"]["max_tokens"] == 64_000
    replied = requests[1]["body"]["messages"][1]
    assert kinds(replied) == ["thinking", "redacted_thinking", "text", "tool_use", "tool_use"]
    assert replied["content"][0]["signature"]
    stored = await mongo_db["agent_transcripts"].find_one({"_id": command.session_id})
    assert "signature" not in stored["messages_json"]
    assert '"thinking"' not in stored["messages_json"]
    assert "checkpoint" not in stored

    fix = command.model_copy(update={
        "step": Step.FIX_COMPILATION_ERRORS, "interaction_id": f"{command.interaction_id}-fix1",
        "fix_attempt": 1, "previous_errors": "undefined function user_struct/0",
    })  # fmt: skip
    fixed = await step(fix)
    assert fixed.status is ResultStatus.OK, fixed
    requests = server.llm.requests
    continued = requests[3]["body"]["messages"]
    assert not any(b["type"] == "thinking" for m in continued for b in m["content"])
    assert kinds(requests[4]["body"]["messages"][-2]) == ["thinking", "tool_use"]
    assert "user_struct(%{})" in (workspace / TEST_FILE).read_text()


async def test_a_write_cut_at_max_tokens_never_runs_and_the_file_is_written_in_parts(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
    workspace: Path,
) -> None:  # fmt: skip
    middle = TEST_TEXT.index('  describe "get/2"')
    cut = {"content": [thought("The whole test file in one call."), write(TEST_FILE, TEST_TEXT)],
           "stop_reason": "max_tokens", "cut_at": 300}  # fmt: skip
    server = scripted({"name": "g", "match": GENERATE, "turns": [
        READ, cut,
        {"content": [thought("Smaller parts."), write(TEST_FILE, TEST_TEXT[:middle])]},
        {"content": [write(TEST_FILE, TEST_TEXT[middle:], append=True)]},
        WRITE_FIXTURE, END,
    ]})  # fmt: skip
    outcome = await make_step(make_settings(server))(command)

    assert outcome.status is ResultStatus.OK, outcome
    assert (workspace / TEST_FILE).read_text() == TEST_TEXT
    requests = server.llm.requests
    after_cut = requests[2]["body"]["messages"]
    assert kinds(after_cut[-2]) == ["thinking", "tool_use"]
    assert after_cut[-2]["content"][1]["input"] == {"path": TEST_FILE}
    answer = after_cut[-1]["content"][0]
    assert (answer["is_error"], answer["content"]) == (True, CUT_TOOL)
    first_part = requests[3]["body"]["messages"][-1]["content"][0]["content"]
    assert first_part == f"wrote {TEST_FILE} ({len(TEST_TEXT[:middle].encode())} bytes)"
    assert data_of(outcome).files_written == [TEST_FILE, FIXTURE_FILE]


async def test_a_paused_turn_is_sent_back_and_continued(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
) -> None:  # fmt: skip
    paused = {"content": [thought("A long plan."), {"type": "text", "text": "Planning…"}],
              "stop_reason": "pause_turn"}  # fmt: skip
    both = {"content": [write(TEST_FILE, TEST_TEXT), write(FIXTURE_FILE, FIXTURE_TEXT)]}
    server = scripted({"name": "g", "turns": [paused, both, END]})
    outcome = await make_step(make_settings(server))(command)
    assert outcome.status is ResultStatus.OK, outcome
    continued = requests_messages(server, 1)
    assert [m["role"] for m in continued] == ["user", "assistant"]
    assert kinds(continued[-1]) == ["thinking", "text"]
    merged = requests_messages(server, 2)[1]
    assert kinds(merged) == ["thinking", "text", "tool_use", "tool_use"]


def requests_messages(server: Any, index: int) -> list[dict[str, Any]]:
    return strip_cache_control(server.llm.requests[index]["body"]["messages"])


@pytest.mark.parametrize("ending", ["refusal", "turn_limit"])
async def test_a_refusal_or_the_turn_limit_is_an_error_even_with_the_files_written(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
    ending: str,
) -> None:  # fmt: skip
    both = {"content": [write(TEST_FILE, TEST_TEXT), write(FIXTURE_FILE, FIXTURE_TEXT)]}
    refusal = {"content": [{"type": "text", "text": "I will not go on."}],
               "stop_reason": "refusal",
               "stop_details": {"type": "refusal", "category": "cyber",
                                "explanation": "This looks like exploit development."}}  # fmt: skip
    turns = [both, refusal] if ending == "refusal" else [both, READ, END]
    server = scripted({"name": "g", "turns": turns})
    settings = make_settings(server, agent_max_turns=2)
    outcome = await make_step(settings)(command)
    assert outcome.status is ResultStatus.ERROR
    assert data_of(outcome).files_written == [TEST_FILE, FIXTURE_FILE]
    message = outcome.error_message or ""
    if ending == "refusal":
        assert outcome.summary == "the model refused"
        assert message.startswith(
            "the model refused: category cyber; This looks like exploit development.; "
            "it said: I will not go on. (2 turn(s), $"
        )
    else:
        assert outcome.summary == "the turn limit was reached"
        assert message.startswith("the turn limit was reached (2 turn(s), $")


async def test_a_context_overflow_compacts_old_tool_results_and_goes_on(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
) -> None:  # fmt: skip
    overflow = {"content": [{"type": "text", "text": "Let me also"}],
                "stop_reason": "model_context_window_exceeded"}  # fmt: skip
    both = {"content": [thought("Both files."), write(TEST_FILE, TEST_TEXT),
                        write(FIXTURE_FILE, FIXTURE_TEXT)]}  # fmt: skip
    server = scripted({"name": "g", "match": GENERATE, "turns": [READ, both, overflow, END]})
    outcome = await make_step(make_settings(server))(command)
    assert outcome.status is ResultStatus.OK, outcome
    assert server.llm.remaining() == {"g": 0}
    compacted = json.dumps(server.llm.requests[3]["body"]["messages"])
    assert REMOVED in compacted
    assert TEST_TEXT[:200] not in compacted.replace("\\n", "\n")
    assert '"thinking"' not in compacted


async def test_a_stream_that_fails_part_way_is_resumed_from_the_checkpoint_by_the_retry(
    scripted: Scripted, make_settings: Settings, make_step: Steps, command: StepRequestedData,
    workspace: Path, mongo_db: Any,
) -> None:  # fmt: skip
    write_test = {"content": [thought("The tests first."), write(TEST_FILE, TEST_TEXT)]}
    overloaded = {"content": [thought("Then the fix"), {"type": "text", "text": "tures"}],
                  "error": {"status": 529, "after_blocks": 1, "message": "Overloaded"}}  # fmt: skip
    server = scripted({"name": "g", "turns": [READ, write_test, overloaded, WRITE_FIXTURE, END]})
    step = make_step(make_settings(server))
    first = await step(command)
    assert first.status is ResultStatus.TRANSIENT
    assert (
        first.error_message == "Anthropic API error during the reply (overloaded_error: Overloaded)"
    )
    assert data_of(first).turns == 2
    saved = await mongo_db["agent_transcripts"].find_one({"_id": command.session_id})
    assert (saved["checkpoint"]["turns"], saved["checkpoint"]["written"]) == (2, [TEST_FILE])

    retry = command.model_copy(update={"interaction_id": f"{command.interaction_id}-2",
                                       "attempt": 2})  # fmt: skip
    second = await step(retry)
    assert second.status is ResultStatus.OK, second
    requests = server.llm.requests
    assert len(requests) == 5, "the retry did not start the conversation again"
    assert requests_messages(server, 3) == requests_messages(server, 2)
    assert data_of(second).turns == 2
    assert data_of(second).files_written == [TEST_FILE, FIXTURE_FILE]
    assert (workspace / FIXTURE_FILE).read_text() == FIXTURE_TEXT
    stored = await mongo_db["agent_transcripts"].find_one({"_id": command.session_id})
    assert "checkpoint" not in stored
    assert stored["interactions"] == [command.interaction_id, retry.interaction_id]
