"""A client that never read our code: the README's steps make the repository and start the
services as written, and a process importing no CTS module requests a session with the
committed JSON Schema and Kafka's console producer, then follows it to its end with the
console consumer, against the real services, `git` and `mix test`."""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from cts_contracts.naming import branch_name
from cts_contracts.schema_export import SCHEMA_DIR
from cts_runtime.topics_admin import ensure_topics
from cts_testing.network import free_port, wait_for_port
from cts_testing.stack import Endpoints, repo_root
from tools.readme_examples import README, marked_block

CLIENT = Path(__file__).with_name("foreign_client.py")
EXAMPLE = repo_root() / "examples" / "requests" / "user_registration.red.json"
RED_STEPS = [
    "step.completed initialize ok",
    "step.completed prepare_project ok",
    "step.completed generate_tests_and_fixtures ok",
    "step.completed run_tests error",
    "step.completed fix_compilation_errors ok",
    "step.completed run_tests ok",
    "step.completed finalize ok",
]


@dataclass
class Services:
    root: Path
    prefix: str
    endpoints: Endpoints

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            for log in sorted(self.root.glob("*.log"))
        )


def readme_step(name: str, root: Path, port: int) -> str:
    """A README block with only what must differ here changed: folder, port, interpreter."""
    text = marked_block(name)
    for old, new in (
        ("/tmp/cts-example", str(root)),
        ("8765", str(port)),
        ("uv run --all-packages python", sys.executable),
    ):
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def services(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("cts-example")
    prefix = f"fc{uuid.uuid4().hex[:8]}."  # topics and databases outlive a run: never reuse
    database = f"cts_{prefix.rstrip('.')}"
    asyncio.run(ensure_topics(stack.kafka_bootstrap_servers, prefix=prefix))
    port = free_port()
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_step("repository", root, port)],
        cwd=repo_root(),
        check=True,
        timeout=60,
    )
    started = readme_step("services", root, port)
    assert "make up\n" in started, "step 2 starts the stack (running here already)"
    env = {
        **os.environ,
        "CTS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": stack.mongodb_uri,
        "CTS_MONGODB_DATABASE": database,
        "CTS_TOPIC_PREFIX": prefix,
        "CTS_GROUP_PREFIX": prefix.rstrip("."),
    }
    # Its own process group: everything step 2 starts in the background is stopped with it.
    shell = subprocess.Popen(
        ["bash", "-c", started.replace("make up\n", "") + "wait\n"],
        cwd=repo_root(),
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        yield Services(root, prefix, stack)
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        try:
            shell.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait(10)
        cleaner: MongoClient[dict[str, Any]]
        with MongoClient(stack.mongodb_uri) as cleaner:
            cleaner.drop_database(database)


def test_the_foreign_client_imports_nothing_of_ours() -> None:
    tree = ast.parse(CLIENT.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if name.startswith(("cts", "tools", "tests"))]
    assert "jsonschema" in imported


def test_a_foreign_client_requests_a_session_and_follows_it_to_its_end(
    services: Services,
) -> None:
    done = subprocess.run(
        [sys.executable, "-I", str(CLIENT),
         "--bootstrap", services.endpoints.kafka_bootstrap_servers,
         "--topic-prefix", services.prefix,
         "--readme", str(README),
         "--schema", str(SCHEMA_DIR / "session.requested.v1.json"),
         "--request", str(EXAMPLE),
         "--repo-url", f"file://{services.root / 'my_app.git'}",
         "--kafka-lib", str(repo_root() / ".cache" / "kafka" / "lib")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    said = done.stdout.splitlines()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}\n{services.logs()}"
    assert [line.strip() for line in said if line.startswith("step.completed")] == RED_STEPS
    requested = sorted(line.split()[1] for line in said if line.startswith("step.requested"))
    assert requested == sorted(step.split()[1] for step in RED_STEPS)
    assert [line for line in said if line.startswith("session.finished")] == [
        "session.finished  complete"
    ]
    assert "keys ok" in said
    assert "cts modules imported: none" in said
    branch = branch_name("UserRegistration")
    files = subprocess.run(
        ["git", "--git-dir", str(services.root / "my_app.git"), "show", "--name-only",
         "--format=", branch],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "test/my_app/accounts/user_registration_test.exs" in files
