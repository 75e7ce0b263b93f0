"""Generate then Fix with the real SDK against the scripted server, state in the real store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import AgentData, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome
from tests.integration.agent_runner.conftest import (
    DESIGN,
    DESIGN_TEXT,
    FIXTURE_FILE,
    FIXTURE_TEXT,
    MODULE,
    PARENT_DESIGN,
    PARENT_TEXT,
    TEST_FILE,
    TEST_TEXT,
    Scripted,
    generate_turns,
)

RUN_TESTS_REPORT = (
    "** (CompileError) test/my_app/accounts/user_repository_test.exs:9: "
    "undefined function user_struct/0 (expected MyApp.Accounts.UserRepositoryTest to define it)"
)
FIXED_TEST = TEST_TEXT.replace(
    "user_struct()", "MyApp.Accounts.UserRepositoryFixtures.user_struct()"
)


def data_of(outcome: StepOutcome) -> AgentData:
    assert isinstance(outcome.data, AgentData)
    return outcome.data


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    last = request["body"]["messages"][-1]["content"]
    return [block for block in last if block["type"] == "tool_result"]


async def test_generate_reads_both_designs_and_writes_the_test_and_fixture_files(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    workspace: Path,
    mongo_db: Any,
) -> None:
    match = {"contains": MODULE, "step": "generate_tests_and_fixtures"}
    server = scripted({"name": "generate", "turns": generate_turns(), "match": match})
    outcome = await make_step(make_settings(server))(command)

    assert outcome.status is ResultStatus.OK, outcome
    assert (workspace / TEST_FILE).read_text() == TEST_TEXT
    assert (workspace / FIXTURE_FILE).read_text() == FIXTURE_TEXT
    requests = server.llm.requests
    assert [r["status"] for r in requests] == [200, 200, 200]
    first = requests[0]["body"]
    assert first["model"] == "claude-sonnet-5-5"
    assert [tool["name"] for tool in first["tools"]] == [
        "list_files",
        "read_file",
        "write_file",
        "edit_file",
        "search",
    ]
    assert first["system"][1]["cache_control"] == {"type": "ephemeral"}
    assert "built-in/exunit_tests.md" in first["system"][1]["text"]
    prompt = first["messages"][0]["content"][0]["text"]
    assert f"the component design: {DESIGN}" in prompt
    assert f"the parent context design: {PARENT_DESIGN}" in prompt
    assert "stores a new user" not in prompt  # the model reads the design itself
    reads = tool_results(requests[1])
    assert [r.get("is_error", False) for r in reads] == [False, False]
    assert reads[0]["content"].endswith(DESIGN_TEXT)
    assert reads[1]["content"].endswith(PARENT_TEXT)
    assert requests[1]["body"]["messages"][-1]["content"][-1]["cache_control"] == {
        "type": "ephemeral"
    }

    data = data_of(outcome)
    assert data.step == "generate_tests_and_fixtures"
    assert data.files_written == [TEST_FILE, FIXTURE_FILE]
    assert (data.turns, data.model) == (3, "claude-sonnet-5-5")
    usage = data.usage
    assert min(usage.input_tokens, usage.output_tokens) > 0
    assert min(usage.cache_write_tokens, usage.cache_read_tokens) > 0
    assert usage.cost_usd > 0
    assert data.transcript_artifact_id == command.session_id

    transcript = await mongo_db["agent_transcripts"].find_one(
        {"_id": data.transcript_artifact_id, "account_id": command.account_id,
         "project_id": command.project_id}
    )  # fmt: skip
    assert transcript is not None
    messages = json.loads(transcript["messages_json"])
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert transcript["interactions"] == [command.interaction_id]
    claim = await mongo_db["agent_claims"].find_one(
        {"_id": command.interaction_id, "account_id": command.account_id,
         "project_id": command.project_id}
    )  # fmt: skip
    assert claim is not None
    assert claim["status"] == "completed"
    assert claim["outcome"]["data"]["files_written"] == [TEST_FILE, FIXTURE_FILE]


async def test_fix_continues_the_conversation_with_the_run_tests_errors(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    workspace: Path,
) -> None:
    server = scripted(
        {"name": "fix", "match": {"contains": MODULE, "step": "fix_compilation_errors"},
         "turns": [
             {"content": [{"type": "tool_use", "name": "read_file", "input": {"path": TEST_FILE}}]},
             {"content": [{"type": "tool_use", "name": "write_file",
                           "input": {"path": TEST_FILE, "content": FIXED_TEST}}]},
             {"content": [{"type": "text", "text": "Called the fixture by its module."}]},
         ]},
        {"name": "generate", "match": {"contains": MODULE}, "turns": generate_turns()},
    )  # fmt: skip
    step = make_step(make_settings(server))
    assert (await step(command)).status is ResultStatus.OK
    generate_last = server.llm.requests[-1]["body"]["messages"]
    fix = command.model_copy(update={
        "step": Step.FIX_COMPILATION_ERRORS, "interaction_id": f"{command.interaction_id}-fix1",
        "fix_attempt": 1, "previous_errors": RUN_TESTS_REPORT,
    })  # fmt: skip

    outcome = await step(fix)

    assert outcome.status is ResultStatus.OK, outcome
    assert (workspace / TEST_FILE).read_text() == FIXED_TEST
    assert [r["conversation"] for r in server.llm.requests] == ["generate"] * 3 + ["fix"] * 3
    sent = server.llm.requests[3]["body"]["messages"]
    # The earlier conversation, unchanged, then the final reply, then the new instruction.
    assert sent[0] == {"role": "user", "content": [
        {"type": "text", "text": generate_last[0]["content"][0]["text"]}]}  # fmt: skip
    written = [b for m in sent for b in m["content"] if b.get("name") == "write_file"]
    assert [b["input"]["path"] for b in written] == [TEST_FILE, FIXTURE_FILE]
    assert sent[5] == {"role": "assistant", "content": [
        {"type": "text", "text": "Wrote the tests and the fixtures."}]}  # fmt: skip
    assert len(sent) == 7
    instruction = sent[6]["content"][-1]["text"]
    assert instruction.startswith("Step: fix_compilation_errors\nFix attempt 1")
    assert RUN_TESTS_REPORT in instruction
    data = data_of(outcome)
    assert (data.step, data.files_written, data.turns) == ("fix_compilation_errors", [TEST_FILE], 3)
    # The whole Generate conversation is a cached prefix for the first Fix call.
    fix_usage = server.llm.requests[3]["usage"]
    generate_cached = server.llm.requests[2]["usage"]
    assert fix_usage["cache_read_input_tokens"] == (
        generate_cached["cache_read_input_tokens"] + generate_cached["cache_creation_input_tokens"]
    )
    assert data.usage.cache_read_tokens >= fix_usage["cache_read_input_tokens"]


async def test_a_model_that_stops_without_writing_the_test_file_is_an_error(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    workspace: Path,
) -> None:
    server = scripted({"name": "lazy", "turns": [
        {"content": [{"type": "tool_use", "name": "read_file", "input": {"path": DESIGN}}]},
        {"content": [{"type": "text", "text": "This component looks fine to me."}]},
    ]})  # fmt: skip
    outcome = await make_step(make_settings(server))(command)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "no test file written")
    assert outcome.error_message is not None
    assert outcome.error_message.startswith("no test file written: the model ended its turn")
    assert not (workspace / TEST_FILE).exists()
    data = data_of(outcome)
    assert data.turns == 2
    assert data.usage.cost_usd > 0
