"""The local stack for tests: endpoints from the environment, or started by ``stack.sh``.

Servers this module started are stopped by it (by pid, through ``stack.sh down <server>``);
servers that were already running, or given by environment variables, are left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings
from cts_testing.network import free_port


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    kafka_auth: Path | None = None
    """A stack with SASL/SCRAM: the folder of each principal's settings (``<name>.env``)."""

    def kafka_env(self, principal: str) -> dict[str, str]:
        """``principal``'s ``CTS_KAFKA_*`` credentials (nothing when Kafka is plain text)."""
        if self.kafka_auth is None:
            return {}
        lines = (self.kafka_auth / f"{principal}.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def kafka_fields(self, principal: str = "admin") -> dict[str, Any]:
        """``principal``'s credentials as settings fields (``kafka_sasl_username``...)."""
        return {k.removeprefix("CTS_").lower(): v for k, v in self.kafka_env(principal).items()}

    def kafka_options(self, principal: str = "admin") -> dict[str, Any]:
        """aiokafka keyword arguments authenticating as ``principal`` (``admin`` may do
        anything: create topics, grant ACLs, read every topic)."""
        fields = self.kafka_fields(principal)
        return client_security(KafkaSettings.model_validate(fields)) if fields else {}


def kafka_auth_wanted() -> bool:
    """``CTS_TEST_KAFKA_AUTH=scram``: tests run on a private stack whose Kafka requires
    SASL/SCRAM and enforces the ACLs, every service as its own principal, instead of the
    shared plain-text one (``make test-reliability-auth``)."""
    return os.environ.get("CTS_TEST_KAFKA_AUTH", "none") == "scram"


def repo_root() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "deploy" / "local" / "stack.sh").is_file():
            return parent
    raise RuntimeError("cannot find deploy/local/stack.sh above the cts_testing package")


def _stack(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    script = repo_root() / "deploy" / "local" / "stack.sh"
    return subprocess.run(
        ["bash", str(script), *args], check=check, text=True, capture_output=not check
    )


def database_url_file() -> Path:
    """The admin URL of the PostgreSQL the test-runner's runs use: ``CTS_TEST_DATABASE_URL_FILE``,
    or the local stack's (written by ``stack.sh up``)."""
    given = os.environ.get("CTS_TEST_DATABASE_URL_FILE")
    if given:
        return Path(given)
    stack_dir = os.environ.get("CTS_STACK_DIR") or str(repo_root() / ".cache" / "stack")
    return Path(stack_dir) / "postgres" / "admin-url"


def _local_endpoints() -> Endpoints:
    kafka_port = os.environ.get("CTS_KAFKA_PORT", "9092")
    mongo_port = os.environ.get("CTS_MONGO_PORT", "27017")
    return Endpoints(f"127.0.0.1:{kafka_port}", f"mongodb://127.0.0.1:{mongo_port}/")


@contextmanager
def local_stack() -> Iterator[Endpoints]:
    kafka = os.environ.get("CTS_KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("CTS_MONGODB_URI")
    if kafka and mongo:
        yield Endpoints(kafka, mongo)
        return
    if _stack("status", check=False).returncode == 0:
        yield _local_endpoints()
        return
    before = set(_stack("running", check=False).stdout.split())
    _stack("up")
    started = [name for name in _stack("running", check=False).stdout.split() if name not in before]
    try:
        yield _local_endpoints()
    finally:
        if started:
            _stack("down", *started)


class PrivateStack:
    """Kafka and FerretDB (no PostgreSQL) of one test alone (own directory, own ports), started
    and stopped through ``stack.sh``; single servers are stopped by the pid in their pid file.
    Tests may stop and restart it; the shared stack is never touched. ``auth``: Kafka with
    SASL/SCRAM, one principal per service and one for clients, and their ACLs
    (``CTS_KAFKA_AUTH=scram``)."""

    def __init__(self, directory: Path, *, auth: bool = False) -> None:
        self.directory = directory
        self.kafka_port, self.controller_port, self.mongo_port = (free_port() for _ in range(3))
        self.env = {
            **os.environ,
            "CTS_STACK_SERVERS": "kafka ferretdb",
            "CTS_STACK_DIR": str(directory),
            "CTS_KAFKA_PORT": str(self.kafka_port),
            "CTS_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "CTS_MONGO_PORT": str(self.mongo_port),
            "CTS_KAFKA_AUTH": "scram" if auth else "none",
        }
        self.endpoints = Endpoints(
            f"127.0.0.1:{self.kafka_port}",
            f"mongodb://127.0.0.1:{self.mongo_port}/",
            directory / "kafka-auth" if auth else None,
        )

    @property
    def kafka_bootstrap_servers(self) -> str:
        return self.endpoints.kafka_bootstrap_servers

    def _stack(self, command: str) -> None:
        subprocess.run(
            ["bash", str(repo_root() / "deploy" / "local" / "stack.sh"), command],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def up(self) -> None:
        self._stack("up")

    def down(self) -> None:
        self._stack("down")

    def pid(self, server: str) -> int:
        return int((self.directory / f"{server}.pid").read_text().strip())

    def kill(self, server: str, signum: int = signal.SIGKILL) -> None:
        """Stop one server (``kafka`` or ``ferretdb``) by its pid and wait until it is gone."""
        pid = self.pid(server)
        os.kill(pid, signum)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise AssertionError(f"{server} (pid {pid}) did not stop")
