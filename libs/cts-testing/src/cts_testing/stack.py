"""The local stack for tests: endpoints from the environment, or started by ``stack.sh``.

A stack this module started is stopped by it (by pid, through ``stack.sh down``); a stack
that was already running, or given by environment variables, is left alone.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_uri: str


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
    _stack("up")
    try:
        yield _local_endpoints()
    finally:
        _stack("down")
