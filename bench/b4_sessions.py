"""B4: N sessions at once through the real services, the model answering every turn after D s.

One replica of each service (orchestrator, git-committer, agent-runner, test-runner) runs as a
process on the local stack; the scripted Messages API server answers each of a generation's
three turns (read the design, write the two files, done) after ``delay_s``. Sessions expect no
test run (``expect=none``: Initialize, GenerateTestsAndFixtures, Finalize), each on a bare
repository of its own in a project of its own (the git-committer keeps one mirror per project
and updates it under a lock), so what B4 measures is how many sessions one replica of each service
carries while the model thinks, not ``mix test`` (B5 prices that).

makespan(N) is from the first request to the last ``SessionFinished``; N = 1 is run three
times and its median is the baseline. With one message at a time per replica, makespan(N)
would be about N x makespan(1); the target is at most 1.5 x at N = 100.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.b4_fleet import Fleet, fleet
from bench.b4_steps import step_times
from bench.context import RunContext
from bench.processes import REPO_ROOT
from cts_contracts import SessionRequested
from cts_contracts.naming import session_id_for
from cts_core import Scope
from cts_testing.factories import session_requested

ACCOUNT = "bench"
MODULE = "MyApp.Accounts.UserRegistration"
FILES = REPO_ROOT / "examples" / "scripts" / "files"
TEST_FILE = "test/my_app/accounts/user_registration_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_registration_fixtures.ex"
BASELINE_RUNS = 3


def _tool(name: str, **given: str) -> dict[str, Any]:
    return {"type": "tool_use", "name": name, "input": given}


def session_tag(session_id: str) -> str:
    """What tells one session's prompts from another's: prompts carry no ids, so each
    request's component description holds this."""
    return f"(bench session {session_id})"


def conversation(session_id: str, delay_s: float) -> dict[str, Any]:
    """The generation of one session, every turn answered after ``delay_s``."""
    test = (FILES / "user_registration_test.fixed.exs").read_text()
    fixtures = (FILES / "user_registration_fixtures.ex").read_text()
    contents = [
        [_tool("read_file", path="docs/design/my_app/accounts/user_registration.md")],
        [_tool("write_file", path=FIXTURE_FILE, content=fixtures),
         _tool("write_file", path=TEST_FILE, content=test)],
        [{"type": "text", "text": "Wrote the fixtures and the tests."}],
    ]  # fmt: skip
    return {
        "name": session_id,
        "match": {"contains": session_tag(session_id), "step": "generate_tests_and_fixtures"},
        "turns": [{"delay_s": delay_s, "content": content} for content in contents],
    }


def _project(request_id: str) -> str:
    return f"p-{request_id}"


def _request(deployed: Fleet, request_id: str) -> SessionRequested:
    project = _project(request_id)
    tag = session_tag(session_id_for(ACCOUNT, project, request_id))
    return session_requested(
        account_id=ACCOUNT, project_id=project, request_id=request_id,
        component={"module_name": MODULE, "type": "service",
                   "description": f"Registers users {tag}"},
        repository={"url": deployed.repository(request_id), "base_ref": "main", "push": True},
        options={"expect": "none"},
    )  # fmt: skip


async def _makespan(deployed: Fleet, request_ids: list[str], cap_s: float) -> dict[str, Any]:
    events = [_request(deployed, r) for r in request_ids]  # repositories made before the clock
    services = deployed.services
    cpu = {name: s.cpu_seconds() for name, s in services.items()}
    started = time.perf_counter()
    await deployed.send(events)
    last = await deployed.finishes.wait([e.data.session_id for e in events], within=cap_s)
    ends = sorted(deployed.finishes.seen[e.data.session_id][1] - started for e in events)
    cpu_s = {name: round(s.cpu_seconds() - cpu[name], 2) for name, s in services.items()}
    scopes = {e.data.session_id: Scope(account_id=e.data.account_id,
                                       project_id=e.data.project_id) for e in events}  # fmt: skip
    return {
        "n": len(events),
        "makespan_s": round(last - started, 2),
        "median_session_s": round(statistics.median(ends), 2),
        "cpu_s": cpu_s,
        "steps_s": await step_times(deployed.ctx.mongodb_uri, deployed.database, scopes),
    }


async def run(
    ctx: RunContext, *, sizes: tuple[int, ...] = (1, 10, 100), delay_s: float = 3.0,
    cap_s: float = 600,
) -> dict[str, Any]:  # fmt: skip
    plan = {"warmup": 1, **{f"n{size}": size for size in sizes if size != 1}}
    plan |= {f"n1-{i}": 1 for i in range(BASELINE_RUNS)}
    request_ids = {label: [f"{label}-{i}" for i in range(n)] for label, n in plan.items()}
    script = [
        conversation(session_id_for(ACCOUNT, _project(r), r), delay_s)
        for ids in request_ids.values()
        for r in ids
    ]
    async with fleet(ctx, script) as deployed:
        await _makespan(deployed, request_ids["warmup"], cap_s)
        baseline = [await _makespan(deployed, request_ids[f"n1-{i}"], cap_s)
                    for i in range(BASELINE_RUNS)]  # fmt: skip
        rows = [min(baseline, key=lambda r: abs(r["makespan_s"] - _median(baseline)))]
        for size in sizes:
            if size != 1:
                rows.append(await _makespan(deployed, request_ids[f"n{size}"], cap_s))
        rss = {name: s.peak_rss_mb() for name, s in deployed.services.items()}
    one = _median(baseline)
    for row in rows:
        row["vs_one"] = round(row["makespan_s"] / one, 2)
    return {
        "delay_s": delay_s,
        "turns": 3,
        "baseline_runs_s": [r["makespan_s"] for r in baseline],
        "rows": rows,
        "peak_rss_mb": rss,
        "env": ctx.b4_env,
    }


def _median(rows: list[dict[str, Any]]) -> float:
    return float(statistics.median(r["makespan_s"] for r in rows))
