"""The invariants every session must satisfy whatever happened to it, checked against the
store (read as every reader reads it), the events on the topics and the bare repository."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
)
from cts_core import Scope, Session
from cts_store import SessionStore
from cts_store.documents import to_document
from cts_testing.kafka import Collector
from tests.reliability.harness import (
    BRANCH,
    events_of,
)


def git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], check=True, capture_output=True, text=True
    ).stdout


@dataclass(frozen=True)
class Expected:
    bare_repo: Path | None = None
    steps: list[str] | None = None
    status: str = "complete"
    recovered_by_deadline: bool = False
    """True when a scenario may legitimately need the sweeper to expire a step."""
    transient_retries: bool = False
    """True when an outage may legitimately fail a step ``transient`` (then retried): the
    expected ``steps`` are compared without those attempts."""


@dataclass
class Verdict:
    session_id: str
    status: str
    steps: list[str]
    commits: int | None
    duration_s: float
    answers: int
    duplicate_answers: int
    command_copies: int
    problems: list[str]


async def verify(
    db: Any, events: Collector, expected: dict[str, Expected], *, settle_s: float = 1.5
) -> list[Verdict]:
    """Every invariant of the issue, for every session; returns one verdict per session and
    fails with every problem found (not only the first)."""
    await asyncio.sleep(settle_s)  # a duplicate finish or answer, if any, arrives now
    verdicts = []
    for session_id, want in expected.items():
        verdicts.append(await _verify_one(db, events, session_id, want))
    problems = [f"{v.session_id}: {p}" for v in verdicts for p in v.problems]
    assert not problems, "\n".join(problems)
    return verdicts


async def stored_session(db: Any, session_id: str) -> Session | None:
    """A session as every reader sees it, through the store in its own tenant's scope: the
    store applies the versions its writers claimed (a writer may die between its claim and
    its document)."""
    raw = await db["sessions"].find_one({"_id": session_id})
    if raw is None:
        return None
    scope = Scope(account_id=raw["account_id"], project_id=raw["project_id"])
    return await SessionStore(db).get(scope, session_id)


async def read_session(db: Any, session_id: str) -> dict[str, Any] | None:
    """``stored_session`` as its document."""
    session = await stored_session(db, session_id)
    return None if session is None else to_document(session)


async def _verify_one(db: Any, events: Collector, session_id: str, want: Expected) -> Verdict:
    doc = await read_session(db, session_id)
    if doc is None:
        return Verdict(session_id, "missing", [], None, 0, 0, 0, 0, ["no session document"])
    commands = [
        e
        for base in (AGENT_STEP_REQUESTED, TESTS_STEP_REQUESTED, GIT_STEP_REQUESTED)
        for e in events_of(events, base, session_id)
    ]
    answers = events_of(events, STEP_COMPLETED, session_id)
    problems = [
        *_ending(doc, want, events_of(events, SESSION_FINISHED, session_id)),
        *_interactions(doc, want),
        *_answers(doc, want, commands, answers),
    ]
    commits = None
    if want.bare_repo is not None and doc["status"] == "complete":
        commits, wrong = _commits(doc, want.bare_repo)
        problems += wrong
    duration = (
        (doc["finished_at"] - doc["created_at"]).total_seconds() if doc.get("finished_at") else 0.0
    )
    copies = Counter(e["data"]["interaction_id"] for e in commands)
    answered = Counter(a["data"]["interaction_id"] for a in answers)
    return Verdict(
        session_id=session_id,
        status=str(doc["status"]),
        steps=[str(i["step"]) for i in doc["interactions"]],
        commits=commits,
        duration_s=duration,
        answers=len(answers),
        duplicate_answers=sum(n - 1 for n in answered.values()),
        command_copies=sum(n - 1 for n in copies.values()),
        problems=problems,
    )


def _ending(doc: dict[str, Any], want: Expected, finished: list[dict[str, Any]]) -> list[str]:
    """Ended, as expected, readably, announced once."""
    problems = []
    status = doc["status"]
    if status not in ("complete", "failed"):
        problems.append(f"did not end: status {status}")
    if status != want.status:
        problems.append(f"status {status}, expected {want.status} (reason: {doc.get('reason')})")
    if status == "failed" and not (doc.get("reason") or "").strip():
        problems.append("failed without a readable reason")
    if doc.get("outbox"):
        problems.append(f"outbox not empty at the end: {[o['id'] for o in doc['outbox']]}")
    if len(finished) != 1:
        problems.append(f"SessionFinished published {len(finished)} times")
    elif finished[0]["data"]["status"] != status:
        problems.append(f"SessionFinished says {finished[0]['data']['status']}, store {status}")
    return problems


def _interactions(doc: dict[str, Any], want: Expected) -> list[str]:
    """Each interaction recorded once, each step attempt dispatched once, the expected path."""
    problems = []
    interactions = doc["interactions"]
    ids = [i["id"] for i in interactions]
    steps = [i["step"] for i in interactions]
    if len(set(ids)) != len(ids):
        problems.append(f"an interaction is recorded twice: {ids}")
    keys = [(i["step"], i["attempt"], i.get("fix_attempt", 0)) for i in interactions]
    if len(set(keys)) != len(keys):
        problems.append(f"a step attempt was dispatched twice: {keys}")
    if want.transient_retries:
        steps = [
            i["step"] for i in interactions if (i.get("result") or {}).get("status") != "transient"
        ]
    if want.steps is not None and steps != want.steps:
        problems.append(f"interactions {steps}, expected {want.steps}")
    return problems


def _answers(
    doc: dict[str, Any],
    want: Expected,
    commands: list[dict[str, Any]],
    answers: list[dict[str, Any]],
) -> list[str]:
    """Every dispatched interaction has exactly one recorded result, and that result is the
    first StepCompleted its executor published for it (none lost, none made up)."""
    problems = []
    interactions = doc["interactions"]
    dispatched = {e["data"]["interaction_id"] for e in commands}
    recorded = {i["id"] for i in interactions}
    if dispatched != recorded:
        problems.append(f"dispatched {sorted(dispatched)} but recorded {sorted(recorded)}")
    first_answer: dict[str, dict[str, Any]] = {}
    for answer in answers:
        first_answer.setdefault(answer["data"]["interaction_id"], answer["data"])
    for interaction in interactions:
        name = f"{interaction['id']} ({interaction['step']})"
        result = interaction.get("result")
        if result is None:
            problems.append(f"{name} has no result")
        elif result.get("executor") == "orchestrator-sweeper":
            if not want.recovered_by_deadline:
                problems.append(f"{name} was expired by the sweeper: no StepCompleted arrived")
        elif (first := first_answer.get(interaction["id"])) is None:
            problems.append(f"{name}: recorded a result no StepCompleted carried")
        elif first["status"] != result["status"]:
            problems.append(
                f"{name}: recorded {result['status']}, the first answer was {first['status']}"
            )
    return problems


def _commits(doc: dict[str, Any], bare: Path) -> tuple[int, list[str]]:
    """Exactly one new commit on the session branch: this session's, the recorded one."""
    problems = []
    commits = int(git(bare, "rev-list", "--count", f"main..{BRANCH}").strip())
    if commits != 1:
        problems.append(f"{commits} commits on {BRANCH}, expected exactly one")
    message = git(bare, "log", "-1", "--format=%B", BRANCH)
    if f"Cts-Session: {doc['_id']}" not in message:
        problems.append("the branch tip is not this session's commit")
    tip = git(bare, "rev-parse", BRANCH).strip()
    if (doc.get("outcome") or {}).get("commit_sha") != tip:
        problems.append(f"outcome commit {doc.get('outcome')} is not the branch tip {tip}")
    return commits, problems


def report(scenario: str, verdicts: Sequence[Verdict], started: float, **extra: object) -> None:
    """One line per scenario for the suite's table (``pytest -s`` shows it)."""
    counts = Counter(v.status for v in verdicts)
    commits = sum(v.commits or 0 for v in verdicts)
    details = " ".join(f"{k}={v}" for k, v in extra.items())
    line = (
        f"[reliability] {scenario}: sessions={len(verdicts)} {dict(counts)} commits={commits} "
        f"duplicate_answers={sum(v.duplicate_answers for v in verdicts)} "
        f"command_copies={sum(v.command_copies for v in verdicts)} "
        f"wall={time.monotonic() - started:.1f}s {details}"
    )
    print(line)
    out = os.environ.get("CTS_RELIABILITY_REPORT")
    if out:
        with Path(out).open("a") as sink:
            sink.write(line + "\n")
