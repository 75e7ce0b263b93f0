"""The probe service as a real process, its HTTP endpoints, and a private Kafka to stop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cts_testing.network import free_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints, PrivateStack

HERE = Path(__file__).resolve().parent


@dataclass
class Probe:
    """A running probe service and a client for its HTTP port."""

    process: ServiceProcess
    port: int

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10)

    def body(self, path: str) -> tuple[int, dict[str, object]]:
        response = self.get(path)
        return response.status_code, json.loads(response.content)

    def wait_for(
        self,
        path: str,
        status: int,
        within: float,
        until: Callable[[dict[str, object]], bool] = lambda _: True,
    ) -> dict[str, object]:
        """Poll until ``path`` answers ``status`` (with a body ``until`` accepts); fail with
        the last answer and the log."""
        deadline = time.monotonic() + within
        last: object = None
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise AssertionError(f"probe exited; log:\n{self.process.log_tail()}")
            try:
                code, body = self.body(path)
            except httpx.TransportError as exc:
                last = exc
            else:
                if code == status and until(body):
                    return body
                last = (code, body)
            time.sleep(0.2)
        raise AssertionError(
            f"{path} never answered {status} in {within}s; last: {last}\n{self.process.log_tail()}"
        )


class ProbeFactory:
    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self.started: list[Probe] = []

    def start(self, *args: str, module: str = "probe_service", **env: str) -> Probe:
        port = free_port()
        process = ServiceProcess(
            module,
            env={
                "PYTHONPATH": str(HERE),
                "PYTHONUNBUFFERED": "1",
                "CTS_HTTP_PORT": str(port),
                "CTS_LOG_FORMAT": "console",
                **env,
            },
            log_path=self._tmp_path / f"probe-{len(self.started)}.log",
            args=args,
        ).start()
        probe = Probe(process, port)
        self.started.append(probe)
        return probe


@pytest.fixture
def probes(tmp_path: Path) -> Iterator[ProbeFactory]:
    factory = ProbeFactory(tmp_path)
    yield factory
    for probe in factory.started:
        probe.process.stop()


@pytest.fixture
def probe_env(stack: Endpoints, topic_prefix: str, namespace: str) -> dict[str, str]:
    """The shared local stack, this test's topics and consumer groups."""
    return {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": stack.mongodb_uri,
        "CTS_TOPIC_PREFIX": topic_prefix,
        "CTS_GROUP_PREFIX": namespace,
    }


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStack]:
    stack = PrivateStack(tmp_path_factory.mktemp("private-stack"))
    stack.up()
    try:
        yield stack
    finally:
        stack.down()  # stops only the pids this stack wrote
