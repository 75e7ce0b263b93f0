"""SIGKILL each service at its worst moment, and add replicas mid-run: every session still ends
complete with exactly one commit, every interaction recorded once with the answer its
executor published, and SessionFinished published once.

Kafka hands a dead consumer's partitions to its successor only after the session timeout
(30 s), so each crash scenario takes about that long: that wait is what a real crash costs.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from cts_contracts import Step
from cts_contracts.topics import (
    GIT_STEP_REQUESTED,
    SESSION_REQUESTED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_test_runner.process_tree import descendants, live_processes
from cts_testing.kafka import publish
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.conversations import (
    conversations_for,
)
from tests.reliability.fleet import (
    Fleet,
    fleet,
)
from tests.reliability.harness import (
    BRANCH,
    MARKER_ENV,
    RED,
    RED_WITH_FIX,
    events_of,
    observer,
    session_id,
    wait_finished,
    wait_until,
)
from tests.reliability.verdicts import (
    Expected,
    git,
    read_session,
    report,
    stored_session,
    verify,
)

CRASH_RECOVERY_S = 180
"""Session timeout (30 s) + the session's own work, with room for a slow machine."""


async def _request(services: Fleet, request_id: str) -> tuple[str, Path]:
    url, bare = services.repository(request_id)
    request = services.request(request_id, url)
    sid = request.data.session_id
    bootstrap = services.endpoints.kafka_bootstrap_servers
    await publish(bootstrap, topic(SESSION_REQUESTED, services.prefix), request, key=sid,
                  security=services.endpoints.kafka_options("client"))  # fmt: skip
    return sid, bare


async def test_orchestrator_killed_after_recording_a_command_before_publishing_it(
    stack: Endpoints, tmp_path: Path
) -> None:
    started = time.monotonic()
    sid = session_id("orchestrator-crash")
    script = conversations_for(sid, broken=True)
    async with fleet(stack, tmp_path, script, roles=("git", "agent", "tests")) as services:
        crashing = services.start(
            "orchestrator",
            CTS_FAULT_INJECTION="crash-after-record",
            CTS_FAULT_INJECTION_STEP="run_tests",
        )
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            _, bare = await _request(services, "orchestrator-crash")
            exit_code = await asyncio.to_thread(crashing.wait, 120)
            assert exit_code == -9, services.logs()
            # Read as every reader reads: the claim is the record, even where the crash came
            # before the session document was written.
            stored = await stored_session(db, sid)
            assert stored is not None
            last = stored.interactions[-1]
            assert (last.step, last.result) == (Step.RUN_TESTS, None)
            assert [item.id for item in stored.outbox] == [last.id], "recorded"
            await asyncio.sleep(1)
            sent = {
                e["data"]["interaction_id"] for e in events_of(events, TESTS_STEP_REQUESTED, sid)
            }
            assert last.id not in sent, "not published"

            services.start("orchestrator")
            await wait_finished(events, [sid], within=CRASH_RECOVERY_S, fleet=services)
            verdicts = await verify(db, events, {sid: Expected(bare, RED_WITH_FIX)})
    report("SIGKILL orchestrator after record, before publish", verdicts, started)


async def test_agent_runner_killed_during_the_model_call(stack: Endpoints, tmp_path: Path) -> None:
    started = time.monotonic()
    sid = session_id("agent-crash")
    script = conversations_for(sid, interrupted_call=True)
    async with fleet(stack, tmp_path, script) as services:
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            _, bare = await _request(services, "agent-crash")

            async def model_called() -> bool:
                calls = await services.model_requests()
                return any(c["conversation"] == f"{sid}:interrupted" for c in calls)

            await wait_until(model_called, within=60, what="the first model call")
            [agent] = services.live("agent")
            services.crash(agent)
            claim = await db["agent_claims"].find_one({"session_id": sid})
            assert claim is not None
            assert claim["status"] == "running", "killed mid-call, before completing"

            services.start("agent")
            await wait_finished(events, [sid], within=CRASH_RECOVERY_S, fleet=services)
            verdicts = await verify(db, events, {sid: Expected(bare, RED)})
            claim = await db["agent_claims"].find_one({"_id": claim["_id"]})
            assert claim is not None
            assert (claim["status"], claim["takeovers"]) == ("completed", 1)
        calls = await services.model_requests()
        remaining = await services.remaining_turns()
    assert set(remaining.values()) == {0}, remaining
    by_conversation = {c["conversation"] for c in calls}
    assert by_conversation == {f"{sid}:interrupted", f"{sid}:generate"}
    assert len(calls) == 1 + 3, "the killed call, then one whole generation"
    report("SIGKILL agent-runner during the model call", verdicts, started, model_calls=len(calls))


async def test_test_runner_killed_during_mix_test(stack: Endpoints, tmp_path: Path) -> None:
    started = time.monotonic()
    sid = session_id("tests-crash")
    # The test runs in the sandbox on a copy of the tree under the runner's scratch directory:
    # a relative marker lands in that copy, where this test (outside) can see it.
    scratch = tmp_path / "scratch"
    script = conversations_for(sid, slow_tests=True)
    async with fleet(stack, tmp_path, script, roles=("orchestrator", "git", "agent")) as services:
        runner = services.start(
            "tests",
            **{
                MARKER_ENV: "in-mix-test",
                "CTS_TEST_ENV_ALLOW": MARKER_ENV,
                "CTS_SANDBOX_SCRATCH": str(scratch),
            },
        )
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            _, bare = await _request(services, "tests-crash")
            await wait_until(
                lambda: any(scratch.glob("run-*/tree/in-mix-test")),
                within=90,
                what="mix test to start the tests",
            )
            children = descendants(runner.pid, live_processes())
            assert children, "mix runs under the test-runner"
            services.crash(runner)
            assert not children & set(live_processes()), "the whole tree died"
            answered = {e["data"]["step"] for e in events_of(events, STEP_COMPLETED, sid)}
            assert "run_tests" not in answered, "killed before answering"

            services.start("tests")  # no marker: the rerun does not wait
            await wait_finished(events, [sid], within=CRASH_RECOVERY_S, fleet=services)
            verdicts = await verify(db, events, {sid: Expected(bare, RED)})
    report("SIGKILL test-runner during mix test", verdicts, started, killed_children=len(children))


async def test_git_committer_killed_between_committing_and_publishing(
    stack: Endpoints, tmp_path: Path
) -> None:
    started = time.monotonic()
    sid = session_id("git-crash")
    script = conversations_for(sid)
    async with fleet(stack, tmp_path, script, roles=("orchestrator", "agent", "tests")) as services:
        crashing = services.start("git", CTS_FAULT_KILL_BEFORE_ANSWER="finalize")
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            _, bare = await _request(services, "git-crash")
            exit_code = await asyncio.to_thread(crashing.wait, 120)
            assert exit_code == -9, services.logs()
            assert git(bare, "rev-list", "--count", f"main..{BRANCH}").strip() == "1", "committed"
            first_commit = git(bare, "rev-parse", BRANCH).strip()
            answered = {e["data"]["step"] for e in events_of(events, STEP_COMPLETED, sid)}
            assert "finalize" not in answered, "not published"

            services.start("git")
            await wait_finished(events, [sid], within=CRASH_RECOVERY_S, fleet=services)
            verdicts = await verify(db, events, {sid: Expected(bare, RED)})
            doc = await read_session(db, sid)
    assert doc is not None
    assert doc["outcome"]["commit_sha"] == first_commit, "the crashed run's commit is the one"
    finalize = doc["interactions"][-1]["result"]
    assert finalize["summary"].startswith("already committed (redelivered)"), finalize
    assert len(events_of(events, GIT_STEP_REQUESTED, sid)) >= 2
    report("SIGKILL git-committer between commit and publish", verdicts, started)


async def test_second_replicas_join_while_sessions_run(stack: Endpoints, tmp_path: Path) -> None:
    """A rebalance on every consumer group mid-window: the agent-runner holds several model
    conversations, each longer than the grace a revocation gives them (5 s), when a second
    replica of every service joins. Work moves between replicas, nothing is done twice in a
    way anyone can see (no model turn is asked twice), nothing is lost."""
    started = time.monotonic()
    request_ids = [f"rebalance-{n}" for n in range(6)]
    sids = [session_id(r) for r in request_ids]
    script: list[dict[str, Any]] = []
    for sid in sids:
        script += conversations_for(sid, generate_delay_s=8)
    async with fleet(stack, tmp_path, script) as services:
        async with (
            observer(stack, services.prefix) as events,
            database(stack, services.database) as db,
        ):
            bares = {}
            for request_id, sid in zip(request_ids, sids, strict=True):
                _, bares[sid] = await _request(services, request_id)

            async def conversations_running() -> bool:
                return len({c["conversation"] for c in await services.model_requests()}) >= 3

            await wait_until(conversations_running, within=90, what="three model conversations")
            joined = [services.start(role) for role in ("orchestrator", "git", "agent", "tests")]
            await wait_finished(events, sids, within=240, fleet=services)
            verdicts = await verify(db, events, {s: Expected(bares[s], RED) for s in sids})
        worked = [
            p.log_path.stem
            for p in joined
            if "step started" in p.log_tail(2000) or "result recorded" in p.log_tail(2000)
        ]
        calls = await services.model_requests()
        remaining = await services.remaining_turns()
    assert [c for c in calls if c["status"] != 200] == [], "no turn was asked for twice"
    assert set(remaining.values()) == {0}, remaining
    report(
        "second replica of every service joins mid-window",
        verdicts,
        started,
        new_replicas_that_worked=",".join(worked) or "none",
    )
