"""Attack 4 of the bus issue: a repository URL carrying a credential
(``https://user:token@host/...``) was accepted, stored in the session and its version log,
re-published in every git command, printed by the CLI and copied into dead letters.

Now it is refused at the contract: by ``cts request`` before anything is published, and by the
real orchestrator and git-committer processes when a producer bypasses the CLI (dead-lettered
with a reason that points to the token settings). The token appears nowhere: not in any event,
dead letter, stored document, service log or CLI output."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from cts_contracts import Step, StepRequested
from cts_contracts.topics import DEADLETTER, GIT_STEP_REQUESTED, SESSION_REQUESTED, topic
from cts_testing.factories import step_request
from cts_testing.kafka import publish
from cts_testing.stack import Endpoints
from tests.reliability.fleet import fleet
from tests.reliability.harness import ACCOUNT, PROJECT, observer, wait_until

TOKEN = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
URLS = {
    "password": f"https://x-access-token:{TOKEN}@git.example.com/acme/shop.git",
    "token as user": f"https://{TOKEN}@git.example.com/acme/shop.git",
}
SAYS = ("must not carry credentials", "CTS_GIT_TENANTS_FILE")


def _cts(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cts_client", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


async def _stored_text(endpoints: Endpoints, database: str) -> str:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    try:
        db = client[database]
        names = await db.list_collection_names()
        assert "sessions" in names  # the orchestrator's indexes exist: the place was looked at
        return "\n".join([json.dumps(await db[n].find({}).to_list(), default=str) for n in names])
    finally:
        await client.close()


async def test_a_url_with_user_info_is_refused_and_never_repeated(
    stack: Endpoints, tmp_path: Path
) -> None:
    async with fleet(stack, tmp_path, [], roles=("orchestrator", "git")) as running:
        env = {k: v for k, v in running.env.items() if k.startswith("CTS_")}
        for url in URLS.values():
            shown = _cts(env, "request", "--account", ACCOUNT, "--project", PROJECT,
                         "--module", "MyApp.Accounts.UserRegistration", "--type", "service",
                         "--repo", url)  # fmt: skip
            assert shown.returncode != 0, shown.stdout
            said_all = " ".join((shown.stdout + shown.stderr).split())  # as wrapped for a terminal
            assert all(said in said_all for said in SAYS), shown
            assert TOKEN not in shown.stdout + shown.stderr

        async with observer(stack, running.prefix) as events:
            # A producer that bypasses the CLI: the orchestrator and the git-committer refuse.
            sent: list[str] = []
            for kind, url in URLS.items():
                command = step_request(Step.INITIALIZE, account_id=ACCOUNT,
                                       project_id=PROJECT)  # fmt: skip
                request = running.request(f"leak-{len(sent)}", "file:///placeholder.git")
                for base, event in (
                    (SESSION_REQUESTED, request),
                    (GIT_STEP_REQUESTED, StepRequested(source="cts/intruder",
                                                       subject=command.session_id, data=command)),
                ):  # fmt: skip
                    body = event.model_dump(mode="json")
                    body["data"]["repository"]["url"] = url
                    key = f"{base}-{kind}"
                    writer = "client" if base == SESSION_REQUESTED else "orchestrator"
                    await publish(stack.kafka_bootstrap_servers, topic(base, running.prefix),
                                  json.dumps(body).encode(), key=key,
                                  security=stack.kafka_options(writer))  # fmt: skip
                    sent.append(key)
            letters = topic(DEADLETTER, running.prefix)
            await wait_until(lambda: len(events.on(letters)) >= len(sent), within=60,
                             what=f"the dead letters\n{running.logs()}")  # fmt: skip
            by_key = {letter["key"]: letter for letter in events.on(letters)}
            assert sorted(by_key) == sorted(sent)
            for letter in by_key.values():
                assert all(said in letter["reason"] for said in SAYS), letter["reason"]
                assert "https://***@git.example.com/acme/shop.git" in letter["payload_excerpt"]
            # What the services published: everything but the forged messages themselves.
            ours = (topic(SESSION_REQUESTED, running.prefix), topic(GIT_STEP_REQUESTED,
                                                                    running.prefix))  # fmt: skip
            assert len(events.on(ours[1])) == len(URLS), "the orchestrator sent a git command"
            assert TOKEN not in json.dumps([v for t, v in events.events if t not in ours])

            stored = await _stored_text(stack, running.database)
            assert TOKEN not in stored
            assert "leak-" not in stored, "a session was created"
        for process in running.processes:
            assert TOKEN not in process.log_path.read_text(errors="replace"), process.log_path
