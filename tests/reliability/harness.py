"""The reliability suite's parts: the four services (and the scripted model) as OS processes
on a given stack, per-session replay scripts, crash helpers, a private stack instance, and the
invariants every session must satisfy whatever happened to it.

Nothing here is a fake of a CTS part: Kafka, FerretDB, git, mix and the anthropic SDK are real;
only the model's answers are replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from cts_contracts import SessionRequested
from cts_contracts.naming import branch_name, session_id_for
from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    DEADLETTER,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_core import Scope, Session
from cts_demo.repository import DemoPaths, prepare_repository
from cts_runtime.topics_admin import ensure_topics
from cts_store import SessionStore
from cts_store.documents import to_document
from cts_test_runner.process_tree import kill_run
from cts_testing.factories import session_requested
from cts_testing.kafka import Collector, delete_topics
from cts_testing.network import free_port, wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints, repo_root

ROOT = repo_root()
FILES = ROOT / "examples" / "scripts" / "files"
MODULE = "MyApp.Accounts.UserRegistration"
TEST_FILE = "test/my_app/accounts/user_registration_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_registration_fixtures.ex"
BRANCH = branch_name("UserRegistration")
ACCOUNT, PROJECT = "rel", "my-app"

RED = ["initialize", "generate_tests_and_fixtures", "run_tests", "finalize"]
RED_WITH_FIX = [
    "initialize",
    "generate_tests_and_fixtures",
    "run_tests",
    "fix_compilation_errors",
    "run_tests",
    "finalize",
]

MARKER_ENV = "CTS_RELIABILITY_MARKER"
"""Passed through to the generated tests (``CTS_TEST_ENV_ALLOW``): their ``setup_all`` writes
this file and then sleeps, so "mix test is running now" is observable from outside."""

STARTED = "FastStream app started successfully"
ROLES = {
    "orchestrator": "cts_orchestrator",
    "git": "cts_git_committer",
    "agent": "cts_agent_runner",
    "tests": "cts_test_runner",
}


def session_id(request_id: str, account: str = ACCOUNT, project: str = PROJECT) -> str:
    return session_id_for(account, project, request_id)


async def fresh_prefix(endpoints: Endpoints, tag: str, *, partitions: int) -> str:
    """Topics of one test alone: ``rel<tag><random>.`` (topics outlive a run: never reuse)."""
    name = f"rel{tag}{uuid.uuid4().hex[:8]}."
    await ensure_topics(endpoints.kafka_bootstrap_servers, prefix=name, partitions=partitions)
    return name


def service_env(endpoints: Endpoints, prefix: str, **extra: str) -> dict[str, str]:
    """A service's settings for the namespace of ``prefix`` (database, topics, groups)."""
    namespace = prefix.rstrip(".")
    return {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": endpoints.mongodb_uri,
        "CTS_MONGODB_DATABASE": f"cts_{namespace}",
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_LOG_FORMAT": "console",
        **extra,
    }


def slow_test_source() -> str:
    """The fixed test file with a ``setup_all`` that, only when the marker variable is set,
    writes the marker and sleeps: a window in which ``mix test`` is certainly running."""
    source = (FILES / "user_registration_test.fixed.exs").read_text()
    hook = (
        "  setup_all do\n"
        f'    if marker = System.get_env("{MARKER_ENV}") do\n'
        '      File.write!(marker, "mix test is running")\n'
        "      Process.sleep(20_000)\n"
        "    end\n\n"
        "    :ok\n"
        "  end\n\n"
    )
    anchor = "  setup do\n"
    assert anchor in source
    return source.replace(anchor, hook + anchor, 1)


def _generate_turns(test_source: str, *, delay_s: float = 0) -> list[dict[str, Any]]:
    return [
        {
            "delay_s": delay_s,
            "content": [
                {"type": "text", "text": "Reading the component design and its context."},
                {
                    "type": "tool_use",
                    "name": "read_file",
                    "input": {"path": "docs/design/my_app/accounts/user_registration.md"},
                },
                {
                    "type": "tool_use",
                    "name": "read_file",
                    "input": {"path": "docs/design/my_app/accounts.md"},
                },
            ],
        },
        {
            "content": [
                {
                    "type": "tool_use",
                    "name": "write_file",
                    "input": {
                        "path": FIXTURE_FILE,
                        "content": (FILES / "user_registration_fixtures.ex").read_text(),
                    },
                },
                {
                    "type": "tool_use",
                    "name": "write_file",
                    "input": {"path": TEST_FILE, "content": test_source},
                },
            ]
        },
        {"content": [{"type": "text", "text": "Wrote the fixtures and the tests."}]},
    ]


def conversations_for(
    session_id: str,
    *,
    broken: bool = False,
    slow_tests: bool = False,
    generate_delay_s: float = 0,
    interrupted_call: bool = False,
) -> list[dict[str, Any]]:
    """One session's replay, matched by its id (the first prompt names the session), so many
    sessions can run at once without taking each other's turns.

    ``broken``: the first generation does not compile and one fix repairs it (RED_WITH_FIX).
    ``interrupted_call``: the first model call of Generate is answered only after 60 s, by
    which time the test has killed the agent-runner; a fresh run takes the next conversation.
    """
    fixed = (
        slow_test_source()
        if slow_tests
        else (FILES / "user_registration_test.fixed.exs").read_text()
    )
    first = (FILES / "user_registration_test.broken.exs").read_text() if broken else fixed
    match = {"contains": f"Session: {session_id}"}
    conversations: list[dict[str, Any]] = []
    if interrupted_call:
        conversations.append(
            {
                "name": f"{session_id}:interrupted",
                "match": {**match, "step": "generate_tests_and_fixtures"},
                "turns": [
                    {"delay_s": 60, "content": [{"type": "text", "text": "never delivered"}]}
                ],
            }
        )
    conversations.append(
        {
            "name": f"{session_id}:generate",
            "match": {**match, "step": "generate_tests_and_fixtures"},
            "turns": _generate_turns(first, delay_s=generate_delay_s),
        }
    )
    if broken:
        conversations.append(
            {
                "name": f"{session_id}:fix",
                "match": {**match, "step": "fix_compilation_errors"},
                "turns": [
                    {
                        "content": [
                            {
                                "type": "tool_use",
                                "name": "write_file",
                                "input": {"path": TEST_FILE, "content": fixed},
                            }
                        ]
                    },
                    {"content": [{"type": "text", "text": "Fixed the helper call."}]},
                ],
            }
        )
    return conversations


def scripted_turns(conversations: Iterable[dict[str, Any]]) -> Counter[str]:
    return Counter({c["name"]: len(c["turns"]) for c in conversations})


# --- the services as processes ------------------------------------------------------------


@dataclass
class Fleet:
    """The four services (any number of replicas each) and the scripted model server, with
    their own topics (``prefix``), database and workspace root on ``endpoints``."""

    endpoints: Endpoints
    root: Path
    prefix: str
    env: dict[str, str]
    llm_url: str
    processes: list[ServiceProcess] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)

    @property
    def database(self) -> str:
        return self.env["CTS_MONGODB_DATABASE"]

    def start(self, role: str, **extra_env: str) -> ServiceProcess:
        self._counts[role] += 1
        name = f"{role}-{self._counts[role]}"
        env = {**self.env, "CTS_INSTANCE_ID": name, **extra_env}
        process = ServiceProcess(ROLES[role], env, self.root / "logs" / f"{name}.log").start()
        self.processes.append(process)
        return process

    def crash(self, process: ServiceProcess) -> None:
        """SIGKILL the process and everything it started, as a crashed pod loses its whole
        container (a test's ``mix`` included), then reap it."""
        if process.alive():
            kill_run(process.pid, uuid.uuid4().hex, leader_alive=True)
            process.wait(10)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    async def ready(
        self, processes: Iterable[ServiceProcess] | None = None, within: float = 60
    ) -> None:
        """Until every (given) service has started its broker and subscribers: a service that
        cannot reach Kafka at startup exits, and locally no supervisor restarts it."""
        waiting = [p for p in (processes or self.processes) if p.module in ROLES.values()]

        def started() -> bool:
            for process in waiting:
                if not process.alive():
                    raise AssertionError(f"{process.log_path.stem} exited\n{process.log_tail()}")
            return all(STARTED in p.log_tail(400) for p in waiting)

        await wait_until(started, within=within, what="the services to start")

    def live(self, role: str) -> list[ServiceProcess]:
        return [p for p in self.processes if p.module == ROLES[role] and p.alive()]

    def logs(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {p.log_path.stem} (alive={p.alive()})\n{p.log_tail(lines)}"
            for p in self.processes
        )

    def repository(self, name: str) -> tuple[str, Path]:
        """A bare repository of the sample app of its own (a session branch per repository)."""
        from rich.console import Console  # noqa: PLC0415

        paths = DemoPaths(self.root / "repos" / name)
        paths.root.mkdir(parents=True, exist_ok=True)
        return prepare_repository(paths, Console(quiet=True)), paths.bare_repo

    def request(
        self,
        request_id: str,
        repo_url: str,
        *,
        expect: str = "red",
        account: str = ACCOUNT,
        project: str = PROJECT,
    ) -> SessionRequested:
        return session_requested(
            account_id=account,
            project_id=project,
            request_id=request_id,
            component={"module_name": MODULE, "type": "service"},
            repository={"url": repo_url, "base_ref": "main", "push": True},
            options={"expect": expect, "max_fix_attempts": 3},
        )

    async def model_requests(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.llm_url, timeout=10) as client:
            answer = await client.get("/_requests")
            answer.raise_for_status()
            found: list[dict[str, Any]] = answer.json()
            return found

    async def remaining_turns(self) -> dict[str, int]:
        async with httpx.AsyncClient(base_url=self.llm_url, timeout=10) as client:
            answer = await client.get("/_health")
            answer.raise_for_status()
            remaining: dict[str, int] = answer.json()["remaining"]
            return remaining


@contextlib.asynccontextmanager
async def fleet(
    endpoints: Endpoints,
    root: Path,
    conversations: Sequence[dict[str, Any]],
    *,
    roles: Sequence[str] = ("orchestrator", "git", "agent", "tests"),
    env: dict[str, str] | None = None,
) -> AsyncIterator[Fleet]:
    """Topics under a fresh prefix, the scripted model, and one process per role in ``roles``
    (a test adds, kills and restarts more); everything is stopped and the database dropped."""
    namespace = f"rel{uuid.uuid4().hex[:8]}"
    prefix = f"{namespace}."
    await ensure_topics(endpoints.kafka_bootstrap_servers, prefix=prefix, partitions=6)
    script = root / "script.json"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(json.dumps({"conversations": list(conversations)}))
    port = free_port()
    base_env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": endpoints.mongodb_uri,
        "CTS_MONGODB_DATABASE": f"cts_{namespace}",
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": namespace,
        "CTS_WORKSPACE_ROOT": str(root / "workspaces"),
        "CTS_GIT_ALLOW_FILE_URLS": "true",
        "CTS_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": "scripted-reliability-key",
        "CTS_LOG_FORMAT": "console",
        "CTS_SWEEP_INTERVAL_S": "1",
        "CTS_OUTBOX_GRACE_S": "2",
        **(env or {}),
    }
    running = Fleet(endpoints, root, prefix, base_env, f"http://127.0.0.1:{port}")
    llm = ServiceProcess(
        "cts_testing.scripted_llm",
        {},
        root / "logs" / "llm.log",
        args=["--script", str(script), "--port", str(port)],
    ).start()
    running.processes.append(llm)
    try:
        for role in roles:
            running.start(role)
        await asyncio.to_thread(wait_for_port, port)
        await running.ready()
        yield running
    finally:
        running.stop()
        with contextlib.suppress(Exception):
            await delete_topics(endpoints.kafka_bootstrap_servers, prefix)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
        with contextlib.suppress(Exception):
            await client.drop_database(base_env["CTS_MONGODB_DATABASE"])
        await client.close()


def observer(endpoints: Endpoints, prefix: str) -> Collector:
    """Everything the suite judges by: commands, answers, finishes and dead letters."""
    names = (
        AGENT_STEP_REQUESTED,
        TESTS_STEP_REQUESTED,
        GIT_STEP_REQUESTED,
        STEP_COMPLETED,
        SESSION_FINISHED,
        DEADLETTER,
    )
    return Collector(endpoints.kafka_bootstrap_servers, *(topic(n, prefix) for n in names))


def events_of(events: Collector, base: str, session_id: str | None = None) -> list[dict[str, Any]]:
    found = [v for t, v in events.events if t.endswith(base)]
    if session_id is None:
        return found
    return [v for v in found if v.get("data", {}).get("session_id") == session_id]


async def wait_finished(
    events: Collector, session_ids: Iterable[str], *, within: float, fleet: Fleet | None = None
) -> None:
    wanted = set(session_ids)

    def done(seen: list[tuple[str, dict[str, Any]]]) -> bool:
        finished = {
            v.get("data", {}).get("session_id") for t, v in seen if t.endswith(SESSION_FINISHED)
        }
        return wanted <= finished

    try:
        await events.wait_for(done, within=within)
    except AssertionError as exc:
        logs = fleet.logs() if fleet else ""
        raise AssertionError(f"{str(exc)[:3000]}\n{logs}") from None


async def wait_until(predicate: Any, *, within: float, what: str, poll_s: float = 0.1) -> None:
    """Poll an async or sync predicate until it is truthy."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(poll_s)


# --- invariants -----------------------------------------------------------------------------


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
