"""The demo's processes: the four services and, without an API key, the scripted model."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cts_demo.repository import DemoPaths
from cts_testing.network import free_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints

SERVICES = ("cts_orchestrator", "cts_git_committer", "cts_agent_runner", "cts_test_runner")


def service_env(endpoints: Endpoints, paths: DemoPaths, llm_url: str | None) -> dict[str, str]:
    env = {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": endpoints.mongodb_uri,
        "CTS_MONGODB_DATABASE": "cts_demo",
        "CTS_WORKSPACE_ROOT": str(paths.workspaces),
        "CTS_GIT_ALLOW_FILE_URLS": "true",
        "CTS_LOG_FORMAT": "json",
        "CTS_SWEEP_INTERVAL_S": "2",
    }
    if llm_url:
        env["CTS_ANTHROPIC_BASE_URL"] = llm_url
        env["ANTHROPIC_API_KEY"] = "scripted-demo-key"  # the scripted server accepts any key
    return env


def scripted_model(paths: DemoPaths) -> tuple[ServiceProcess, str]:
    """The server that replays the recorded conversation, and its URL."""
    port = free_port()
    process = ServiceProcess(
        "cts_testing.scripted_llm",
        {},
        paths.logs / "scripted-llm.log",
        args=["--script", str(paths.script), "--port", str(port)],
    )
    return process, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def running(processes: list[ServiceProcess]) -> Iterator[None]:
    """Start them in order; stop them in reverse, whatever happens (also on Ctrl-C)."""
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in reversed(processes):
            process.stop()
