"""Every escape the model tries is refused and reported back to it as an error tool_result;
the step carries on and nothing outside the allowed files changes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import AgentData, ResultStatus
from cts_contracts.step_requested import StepRequestedData
from tests.integration.agent_runner.conftest import SOURCE, TEST_FILE, TEST_TEXT, Scripted

SECRET = "the-outside-secret-3f9a"


async def test_escapes_are_refused_and_reported_to_the_model(
    scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings],
    make_step: Callable[[AgentRunnerSettings], AgentStep],
    command: StepRequestedData,
    workspace: Path,
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    os.symlink(outside / "secret.txt", workspace / "lib" / "innocent.txt")
    os.symlink(outside, workspace / "test" / "support")
    source_before = (workspace / SOURCE).read_text()
    attempts = [
        ("write_file", {"path": "../x.ex", "content": "escaped"}),
        ("read_file", {"path": str(outside / "secret.txt")}),
        ("read_file", {"path": "lib/innocent.txt"}),
        ("write_file", {"path": "test/support/planted.ex", "content": "through the link"}),
        ("read_file", {"path": "lib/my_app\u0000.ex"}),
        ("write_file", {"path": SOURCE, "content": "defmodule Hijacked do\nend\n"}),
    ]
    server = scripted({"name": "escape", "turns": [
        {"content": [{"type": "tool_use", "name": name, "input": arguments}
                     for name, arguments in attempts]},
        {"content": [{"type": "tool_use", "name": "write_file",
                      "input": {"path": TEST_FILE, "content": TEST_TEXT}}]},
        {"content": [{"type": "text", "text": "Done."}]},
    ]})  # fmt: skip

    outcome = await make_step(make_settings(server))(command)

    assert outcome.status is ResultStatus.OK, outcome
    answer = server.llm.requests[1]["body"]["messages"][-1]["content"]
    assert [block["type"] for block in answer] == ["tool_result"] * len(attempts)
    assert all(block.get("is_error") is True for block in answer)
    reasons = [block["content"] for block in answer]
    assert reasons[0] == "refused: '..' is not allowed in paths ('../x.ex')"
    assert reasons[1].startswith("refused: absolute paths are not allowed")
    # Links are refused where they are met, not followed and checked afterwards.
    assert reasons[2] == "refused: 'lib/innocent.txt' is a symbolic link"
    assert reasons[3] == "refused: 'test/support' is a symbolic link or not a directory"
    assert reasons[4] == "refused: the path contains a NUL byte"
    assert reasons[5].startswith(f"refused: writing '{SOURCE}' is not allowed; you may write only")
    assert SECRET not in str(server.llm.requests)
    assert (workspace / SOURCE).read_text() == source_before
    assert not (workspace.parent / "x.ex").exists()
    assert not (outside / "planted.ex").exists()
    assert isinstance(outcome.data, AgentData)
    assert outcome.data.files_written == [TEST_FILE]
