"""The agent step with fake ports: claims first, then the loop, transcript and outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo.errors import AutoReconnect, OperationFailure

from cts_agent_runner.claims import Claimed, ClaimKey, ClaimState, Held
from cts_agent_runner.conversation import strip_cache_control
from cts_agent_runner.model import ModelFailure, ModelReply, ModelRequest
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.transcripts import Transcript
from cts_contracts import AgentData, Expect, ResultStatus, SimilarComponent, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import NoAnswer, StepOutcome

from .fakes import (
    DESIGN,
    FIXTURE_FILE,
    PARENT_DESIGN,
    TEST_FILE,
    FakeModel,
    MemoryClaims,
    MemoryTranscripts,
    Reply,
    reply,
    text,
    use,
)

WRITE_BOTH = [
    reply(use("t1", "read_file", path=DESIGN), use("t2", "read_file", path=PARENT_DESIGN)),
    reply(use("t3", "write_file", path=TEST_FILE, content="defmodule T do\nend\n"),
          use("t4", "write_file", path=FIXTURE_FILE, content="defmodule F do\nend\n")),
    reply(text("Wrote both files.")),
]  # fmt: skip


class Harness:
    def __init__(self, settings: AgentRunnerSettings, replies: list[Reply]) -> None:
        self.model = FakeModel(replies)
        self.claims = MemoryClaims()
        self.transcripts = MemoryTranscripts()
        self.step = AgentStep(
            settings, model=self.model, claims=self.claims, transcripts=self.transcripts
        )


def agent_data(outcome: StepOutcome) -> AgentData:
    assert isinstance(outcome.data, AgentData)
    return outcome.data


async def test_generate_writes_both_files_and_reports_its_spend(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, list(WRITE_BOTH))
    outcome = await harness.step(command)
    assert outcome.status is ResultStatus.OK
    assert outcome.summary.startswith(f"wrote {TEST_FILE}, {FIXTURE_FILE} (3 turn(s), $")
    data = agent_data(outcome)
    assert data.files_written == [TEST_FILE, FIXTURE_FILE]
    assert (data.turns, data.model, data.transcript_artifact_id) == (
        3,
        "fake-model",
        command.session_id,
    )
    assert (data.usage.input_tokens, data.usage.cache_read_tokens) == (30, 30)
    assert data.usage.cost_usd > 0
    stored = harness.transcripts.saved[(command.account_id, command.project_id,
                                        command.session_id)]  # fmt: skip
    assert stored.interactions == [command.interaction_id]
    assert len(stored.messages) == 6
    assert harness.claims.docs[command.interaction_id]["outcome"] == outcome


async def test_the_prompt_gives_paths_rules_and_the_red_mode(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [reply(text("nothing"))])
    outcome = await harness.step(command)
    request = harness.model.requests[0]
    prompt = request.messages[0]["content"][0]["text"]
    assert prompt.startswith("Step: generate_tests_and_fixtures\n")
    for identifier in (command.session_id, command.account_id, command.project_id):
        assert identifier not in prompt
    assert "Project (from README.md): A store for hand-made furniture." in prompt
    assert f"- the component design: {DESIGN}" in prompt
    assert f"- the parent context design: {PARENT_DESIGN}" in prompt
    assert "does not exist yet; the tests are written first" in prompt
    assert "# UserRepository" not in prompt  # paths, not contents
    rules = request.system[1]["text"]
    assert 'source="built-in/exunit_tests.md"' in rules
    assert 'source="built-in/repository_tests.md"' in rules
    assert 'source="docs/rules/project.md"' in rules
    assert request.model == settings.agent_model
    assert agent_data(outcome).rules == [
        "built-in/exunit_tests.md", "built-in/fixtures.md", "built-in/repository_tests.md",
        "docs/rules/project.md",
    ]  # fmt: skip


async def test_the_requests_description_and_similar_components_are_in_the_prompt(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    component = command.component.model_copy(
        update={"similar_components": [
            SimilarComponent(module_name="MyApp.Accounts.User"),
            SimilarComponent(module_name="MyApp.Billing.Invoice", design_file="docs/x.md"),
        ]}
    )  # fmt: skip
    described = command.model_copy(
        update={"component": component, "project_description": "Our furniture shop."}
    )
    harness = Harness(settings, [reply(text("nothing"))])
    await harness.step(described)
    prompt = harness.model.requests[0].messages[0]["content"][0]["text"]
    assert "Project: Our furniture shop." in prompt
    assert "hand-made" not in prompt
    assert (
        "- MyApp.Accounts.User: code lib/my_app/accounts/user.ex, "
        "tests test/my_app/accounts/user_test.exs"
    ) in prompt
    assert "- MyApp.Billing.Invoice: none of its files exist yet" in prompt


async def test_skipped_rule_files_are_reported_with_the_step(
    settings: AgentRunnerSettings, command: StepRequestedData, workspace_root: Path
) -> None:
    broken = workspace_root / command.workspace / "docs" / "rules" / "broken.md"
    broken.write_text("---\ncomponent_type: [unclosed\n---\nbody\n")
    harness = Harness(settings, [reply(text("nothing"))])
    outcome = await harness.step(command)
    assert "docs/rules/broken.md" not in agent_data(outcome).rules
    assert agent_data(outcome).warnings == [
        "docs/rules/broken.md skipped: the front matter is not valid YAML (ParserError)"
    ]


async def test_green_mode_points_at_the_source_and_the_command_model_wins(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    green = command.model_copy(update={"expect": Expect.GREEN, "model": "claude-opus-5"})
    harness = Harness(settings, [reply(text("nothing"))])
    await harness.step(green)
    prompt = harness.model.requests[0].messages[0]["content"][0]["text"]
    assert "- the component source: lib/my_app/accounts/user_repository.ex" in prompt
    assert harness.model.requests[0].model == "claude-opus-5"


async def test_a_model_that_writes_no_test_file_is_an_error(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [
        reply(use("t1", "write_file", path=FIXTURE_FILE, content="x")), reply(text("Done!")),
    ])  # fmt: skip
    outcome = await harness.step(command)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "no test file written")
    assert outcome.error_message == (
        f"no test file written: the model ended its turn without writing {TEST_FILE} "
        f"(wrote: {FIXTURE_FILE})"
    )
    assert agent_data(outcome).turns == 2


async def test_a_completed_claim_is_answered_without_calling_the_model(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, list(WRITE_BOTH))
    first = await harness.step(command)
    again = await AgentStep(settings, model=harness.model, claims=harness.claims,
                            transcripts=harness.transcripts)(command)  # fmt: skip
    assert again == first
    assert len(harness.model.requests) == 3


async def test_a_live_claim_of_another_instance_is_waited_for_and_its_outcome_answered(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: ModelRequest) -> ModelReply:
        started.set()
        await release.wait()
        return reply(use("t3", "write_file", path=TEST_FILE, content="x"))

    harness = Harness(settings, [slow, reply(text("done"))])
    first = asyncio.create_task(harness.step(command))
    await started.wait()
    other = AgentStep(settings, model=harness.model, claims=harness.claims,
                      transcripts=harness.transcripts)  # fmt: skip
    waiting = asyncio.create_task(other(command))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "no answer of its own while the owner works"
    release.set()
    outcome = await first
    assert outcome.status is ResultStatus.OK
    assert await asyncio.wait_for(waiting, 5) == outcome
    assert len(harness.model.requests) == 2


async def test_a_claim_whose_owner_died_mid_call_is_taken_over_when_its_lease_lapses(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    """The owner was SIGKILLed: nobody releases or completes its claim, and Kafka redelivers
    the command (after its session timeout) while the dead owner's lease still runs. The
    redelivery must wait for the lease, not acknowledge the command with no answer."""
    harness = Harness(settings, list(WRITE_BOTH))
    lapse = asyncio.get_running_loop().time() + 0.4

    class DeadOwnersClaim(MemoryClaims):
        async def acquire(self, key: ClaimKey, owner: str, lease_s: float) -> ClaimState:
            if asyncio.get_running_loop().time() < lapse:
                return Held("killed-pod/0", datetime.now(UTC) + timedelta(seconds=0.4))
            await super().acquire(key, owner, lease_s)
            return Claimed(takeover=True)

    harness.claims = DeadOwnersClaim()
    step = AgentStep(settings, model=harness.model, claims=harness.claims,
                     transcripts=harness.transcripts)  # fmt: skip
    outcome = await asyncio.wait_for(step(command), 10)
    assert outcome.status is ResultStatus.OK
    assert len(harness.model.requests) == 3


async def test_a_run_whose_claim_is_taken_over_stops_without_answering(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [])

    async def hijacked(request: ModelRequest) -> ModelReply:
        harness.claims.docs[command.interaction_id]["owner"] = "someone-else"
        await asyncio.sleep(5)
        raise AssertionError("the run should have been cancelled")

    harness.model.replies = [hijacked]
    with pytest.raises(NoAnswer, match="was taken over"):
        await harness.step(command)


async def test_fix_continues_the_stored_conversation_with_the_errors(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [*WRITE_BOTH,
                                 reply(use("t9", "write_file", path=TEST_FILE, content="fixed")),
                                 reply(text("Fixed."))])  # fmt: skip
    await harness.step(command)
    fix = command.model_copy(update={
        "step": Step.FIX_COMPILATION_ERRORS, "interaction_id": "fix-1", "fix_attempt": 1,
        "previous_errors": "** (CompileError) test/x_test.exs:3: undefined function foo/0",
    })  # fmt: skip
    outcome = await harness.step(fix)
    assert outcome.status is ResultStatus.OK
    assert agent_data(outcome).files_written == [TEST_FILE]
    assert agent_data(outcome).step == "fix_compilation_errors"
    sent = strip_cache_control(harness.model.requests[3].messages)
    generate_conversation = [
        *strip_cache_control(harness.model.requests[2].messages),
        {"role": "assistant", "content": [text("Wrote both files.")]},
    ]
    assert sent[:6] == generate_conversation
    assert len(sent) == 7
    last = sent[-1]["content"][-1]["text"]
    assert last.startswith("Step: fix_compilation_errors\nFix attempt 1: RunTests did not meet")
    assert "undefined function foo/0" in last
    stored = harness.transcripts.saved[(fix.account_id, fix.project_id, fix.session_id)]
    assert stored.interactions == [command.interaction_id, "fix-1"]


async def test_fix_without_a_stored_conversation_starts_one(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    fix = command.model_copy(update={"step": Step.FIX_COMPILATION_ERRORS,
                                     "previous_errors": "boom"})  # fmt: skip
    harness = Harness(settings, [reply(text("Nothing to change."))])
    outcome = await harness.step(fix)
    first = harness.model.requests[0].messages
    assert len(first) == 1
    assert [b["text"].split("\n")[0] for b in first[0]["content"]] == [
        "Step: generate_tests_and_fixtures",
        "Step: fix_compilation_errors",
    ]
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "no file written")


@pytest.mark.parametrize(("transient", "status"),
                         [(True, ResultStatus.TRANSIENT), (False, ResultStatus.ERROR)])  # fmt: skip
async def test_model_failures_keep_their_kind_and_the_spend(
    settings: AgentRunnerSettings, command: StepRequestedData, transient: bool,
    status: ResultStatus,
) -> None:  # fmt: skip
    failure = ModelFailure("Anthropic API error 529 (overloaded_error: busy)", transient=transient)
    harness = Harness(settings, [reply(use("t1", "list_files")), failure])
    outcome = await harness.step(command)
    assert outcome.status is status
    assert outcome.error_message == failure.message
    assert agent_data(outcome).turns == 1
    assert agent_data(outcome).usage.output_tokens == 10


async def test_a_failure_before_any_turn_keeps_the_previous_transcript(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [ModelFailure("down", transient=True)])
    key = (command.account_id, command.project_id, command.session_id)
    harness.transcripts.saved[key] = Transcript([{"role": "user", "content": "old"}], ["x"])
    outcome = await harness.step(command)
    assert outcome.status is ResultStatus.TRANSIENT
    assert harness.transcripts.saved[key].interactions == ["x"]
    assert agent_data(outcome).transcript_artifact_id is None


async def test_steps_and_workspaces_it_cannot_run(
    settings: AgentRunnerSettings, command: StepRequestedData, workspace_root: Path
) -> None:
    harness = Harness(settings, [])
    wrong = await harness.step(command.model_copy(update={"step": Step.RUN_TESTS}))
    assert (wrong.status, wrong.summary) == (
        ResultStatus.ERROR,
        "the agent-runner does not run run_tests",
    )
    gone = await harness.step(command.model_copy(update={"workspace": "acme/shop/none"}))
    assert (gone.status, gone.summary) == (
        ResultStatus.TRANSIENT,
        "workspace acme/shop/none does not exist",
    )
    assert harness.model.requests == []


async def test_an_outcome_that_cannot_be_recorded_is_still_answered(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    class StoreDownAtTheEnd(MemoryClaims):
        async def complete(self, key: ClaimKey, owner: str, outcome: StepOutcome) -> bool:
            raise AutoReconnect("connection closed")

    harness = Harness(settings, list(WRITE_BOTH))
    harness.claims = StoreDownAtTheEnd()
    harness.step = AgentStep(settings, model=harness.model, claims=harness.claims,
                             transcripts=harness.transcripts)  # fmt: skip
    outcome = await harness.step(command)
    assert outcome.status is ResultStatus.OK
    assert agent_data(outcome).files_written == [TEST_FILE, FIXTURE_FILE]


class FlakyTranscripts(MemoryTranscripts):
    """The store drops ``failures`` writes (a restart), then works again."""

    def __init__(self, failures: int, error: Exception) -> None:
        super().__init__()
        self.failures = failures
        self.error = error
        self.tries = 0

    async def save(
        self, account_id: str, project_id: str, session_id: str, *, transcript: Transcript,
        model: str,
    ) -> str:  # fmt: skip
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error
        return await super().save(account_id, project_id, session_id, transcript=transcript,
                                  model=model)  # fmt: skip


@pytest.mark.parametrize(
    ("failures", "error", "stored"),
    [
        (2, AutoReconnect("connection closed"), True),  # the store came back
        (99, AutoReconnect("connection closed"), False),  # it stayed away
        (1, OperationFailure("not authorized"), False),  # not an outage: no retry
    ],
)
async def test_a_finished_generation_survives_a_store_outage_at_the_transcript_write(
    settings: AgentRunnerSettings,
    command: StepRequestedData,
    failures: int,
    error: Exception,
    stored: bool,
) -> None:
    """Found by the reliability suite (FerretDB killed mid-run): the write after the last
    model turn failed, the paid-for generation was answered ``transient`` and its retry ran
    a second whole conversation. Now the write is retried, and the work answered either way."""
    harness = Harness(settings, list(WRITE_BOTH))
    harness.transcripts = FlakyTranscripts(failures, error)
    step = AgentStep(
        settings,
        model=harness.model,
        claims=harness.claims,
        transcripts=harness.transcripts,
        transcript_retry_delays_s=(0.01, 0.01, 0.01),
    )
    outcome = await step(command)
    assert outcome.status is ResultStatus.OK
    assert agent_data(outcome).files_written == [TEST_FILE, FIXTURE_FILE]
    assert (agent_data(outcome).transcript_artifact_id is not None) is stored
    assert harness.transcripts.tries == (3 if stored else 1 if failures == 1 else 4)
    assert len(harness.model.requests) == 3, "one conversation, never a second"


async def test_a_cancelled_run_releases_its_claim_for_a_redelivery(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    started = asyncio.Event()

    async def hangs(request: ModelRequest) -> ModelReply:
        started.set()
        await asyncio.sleep(30)
        raise AssertionError("should have been cancelled")

    harness = Harness(settings, [hangs, *WRITE_BOTH])
    running = asyncio.create_task(harness.step(command))
    await started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert harness.claims.docs[command.interaction_id]["live"] is False
    retry = AgentStep(settings, model=harness.model, claims=harness.claims,
                      transcripts=harness.transcripts)  # fmt: skip
    assert (await retry(command)).status is ResultStatus.OK
    assert harness.claims.docs[command.interaction_id]["owner"] == retry.owner


async def test_a_retry_resumes_from_the_checkpoint_and_its_turns_count_against_the_limit(
    settings: AgentRunnerSettings, command: StepRequestedData
) -> None:
    harness = Harness(settings, [ModelFailure("overloaded", transient=True)])
    harness.model.replies[:0] = [reply(use("t1", "write_file", path=TEST_FILE, content="x"))]
    first = await harness.step(command)
    assert first.status is ResultStatus.TRANSIENT
    key = (command.account_id, command.project_id, command.session_id)
    checkpoint = harness.transcripts.saved[key].checkpoint
    assert checkpoint is not None
    assert (checkpoint.turns, checkpoint.written) == (1, [TEST_FILE])

    limited = settings.model_copy(update={"agent_max_turns": 2})
    harness.model.replies = [reply(use("t2", "list_files")), reply(text("never asked"))]
    retry = command.model_copy(update={"interaction_id": "retry-2", "attempt": 2})
    second = await AgentStep(limited, model=harness.model, claims=harness.claims,
                             transcripts=harness.transcripts)(retry)  # fmt: skip
    assert (second.status, second.summary) == (ResultStatus.ERROR, "the turn limit was reached")
    assert agent_data(second).turns == 1
    assert agent_data(second).files_written == [TEST_FILE]
    resumed = harness.model.requests[2].messages
    assert [m["role"] for m in resumed] == ["user", "assistant", "user"]
    assert harness.transcripts.saved[key].checkpoint is None
    assert harness.transcripts.saved[key].interactions == [command.interaction_id, "retry-2"]
