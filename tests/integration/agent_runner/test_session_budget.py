"""The session's USD budget end to end: the real orchestrator and the real agent-runner on the
real Kafka and store (RunTests and Finalize are instant fakes), the real SDK against the
scripted server. Generate's second call takes the session past ``max_cost_usd`` (a call is never
cut short: the budget is checked before each one); when RunTests asks for a fix, the
orchestrator passes what the session spent, the agent-runner sees the budget is gone, makes no
model call and the session fails saying why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cts_agent_runner.app import build_app as agent_runner
from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import Step
from cts_contracts.naming import workspace_relpath
from cts_contracts.step_completed import RunTestsData
from cts_contracts.step_requested import StepRequestedData
from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_orchestrator.app import build_app as orchestrator
from cts_runtime.executor import StepOutcome
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints
from tests.integration.agent_runner.conftest import (
    FIXTURE_FILE,
    FIXTURE_TEXT,
    TEST_FILE,
    TEST_TEXT,
    Scripted,
    write_project,
)
from tests.integration.orchestrator.conftest import orchestrator_settings

# $2 per million input and $10 per million output tokens (claude-sonnet-5-5), no cache use:
# 10,000 input tokens ($0.02) and 500 output tokens ($0.005) make a $0.025 turn.
TURN_USAGE = {"input_tokens": 10_000, "output_tokens": 500, "cache_read_input_tokens": 0,
              "cache_creation_input_tokens": 0}  # fmt: skip


def does_not_compile(command: StepRequestedData, seen_before: int) -> StepOutcome | None:
    if command.step is Step.RUN_TESTS:
        report = RunTestsData(compiled=False, report="undefined function user_struct/0")
        return StepOutcome.error("does not compile", "undefined function user_struct/0", report)
    return None


@pytest.mark.usefixtures("restore_logging")
async def test_a_session_whose_budget_is_spent_ends_with_the_reason(
    stack: Endpoints, namespace: str, topic_prefix: str, mongo_db: Any, scripted: Scripted,
    make_settings: Callable[..., AgentRunnerSettings], workspace_root: Path,
) -> None:  # fmt: skip
    writes = {"content": [
        {"type": "thinking", "thinking": "Both files at once."},
        {"type": "tool_use", "name": "write_file",
         "input": {"path": TEST_FILE, "content": TEST_TEXT}},
        {"type": "tool_use", "name": "write_file",
         "input": {"path": FIXTURE_FILE, "content": FIXTURE_TEXT}},
    ], "usage": TURN_USAGE}  # fmt: skip
    done = {"content": [{"type": "text", "text": "Done."}], "usage": TURN_USAGE}
    fix = {"content": [{"type": "text", "text": "never asked"}]}
    server = scripted(
        {"name": "g", "match": {"step": "generate_tests_and_fixtures"}, "turns": [writes, done]},
        {"name": "f", "match": {"step": "fix_compilation_errors"}, "turns": [fix]},
    )
    request = session_requested(options={"expect": "red", "max_cost_usd": 0.04})
    data = request.data
    write_project(workspace_root / workspace_relpath(data.account_id, data.project_id,
                                                     data.session_id))  # fmt: skip
    settings = make_settings(server, topic_prefix=topic_prefix, group_prefix=namespace)
    runner = agent_runner(settings)
    conductor = orchestrator(orchestrator_settings(stack, namespace, topic_prefix))
    bootstrap = stack.kafka_bootstrap_servers
    finished = topic(SESSION_FINISHED, topic_prefix)
    async with (
        FakeExecutors(bootstrap, topic_prefix=topic_prefix, group_prefix=namespace,
                      script=does_not_compile, roles=("tests", "git")),
        Collector(bootstrap, finished, topic(STEP_COMPLETED, topic_prefix)) as events,
    ):  # fmt: skip
        await runner.start()
        await conductor.start()
        try:
            await publish(bootstrap, topic(SESSION_REQUESTED, topic_prefix), request,
                          key=data.session_id)  # fmt: skip
            await events.wait_for(lambda seen: any(t == finished for t, _ in seen), within=90)
        finally:
            await conductor.stop()
            await runner.stop()

    [(_, ended)] = [(t, e) for t, e in events.events if t == finished]
    outcome = ended["data"]
    assert outcome["status"] == "failed"
    assert outcome["reason"].startswith(
        "FixCompilationErrors failed: the session's cost budget is spent ($0.04 allowed for "
        "this session) (0 turn(s), $0.0000)"
    )
    assert outcome["outcome"]["usage"]["cost_usd"] == pytest.approx(0.05)
    assert [r["conversation"] for r in server.llm.requests] == ["g", "g"]
