"""`cts demo`: one real session end to end on the local stack.

Starts what is missing (the local stack, the scripted model server when there is no
``ANTHROPIC_API_KEY``), the four services as separate processes, publishes a red-mode request for
the sample component, shows live progress, prints the commit, and stops everything it started —
also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from cts_client import render
from cts_client.follow import follow
from cts_client.requests import build
from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_runtime.topics_admin import ensure_topics
from cts_testing.network import free_port, wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints, local_stack, repo_root

SERVICES = ("cts_orchestrator", "cts_git_committer", "cts_agent_runner", "cts_test_runner")
SAMPLE_MODULE = "MyApp.Accounts.UserRegistration"


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def bare_repo(self) -> Path:
        return self.root / "my_app.git"

    @property
    def workspaces(self) -> Path:
        return self.root / "workspaces"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def script(self) -> Path:
        return repo_root() / "examples" / "scripts" / "user_registration.red.yaml"


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def prepare_repository(paths: DemoPaths, console: Console) -> str:
    """The sample project as a local bare repository (made once, reused by later runs)."""
    if not paths.bare_repo.exists():
        source = repo_root() / "examples" / "phoenix_app"
        work = paths.root / "seed"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("_build", "deps"))
        git("init", "-q", "-b", "main", cwd=work)
        git("add", "-A", cwd=work)
        git(
            "-c",
            "user.name=CTS Demo",
            "-c",
            "user.email=demo@localhost",
            "commit",
            "-q",
            "-m",
            "Sample Phoenix-style app",
            cwd=work,
        )
        git("clone", "-q", "--bare", str(work), str(paths.bare_repo))
        shutil.rmtree(work)
        console.print(f"  created the demo repository {paths.bare_repo}")
    return f"file://{paths.bare_repo}"


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


@contextlib.contextmanager
def running(processes: list[ServiceProcess]) -> Iterator[None]:
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in reversed(processes):
            process.stop()


def run_demo(console: Console, *, timeout_s: float = 600) -> int:
    real_model = bool(os.environ.get("ANTHROPIC_API_KEY"))
    if os.environ.get("CTS_DEMO_ANNOUNCED") == "1":
        pass  # `make demo` said it already, as its first line
    elif real_model:
        console.print("[bold]CTS demo[/] — using Claude (ANTHROPIC_API_KEY is set)")
    else:
        console.print(
            "[bold]CTS demo[/] — [yellow]scripted model[/]: no ANTHROPIC_API_KEY, so a "
            "local server replays a recorded Claude conversation"
        )
    paths = DemoPaths(repo_root() / ".cache" / "demo")
    paths.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with local_stack() as endpoints:
        asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
        url = prepare_repository(paths, console)
        processes: list[ServiceProcess] = []
        llm_url = None
        if not real_model:
            port = free_port()
            llm_url = f"http://127.0.0.1:{port}"
            processes.append(
                ServiceProcess(
                    "cts_testing.scripted_llm",
                    {},
                    paths.logs / "scripted-llm.log",
                    args=["--script", str(paths.script), "--port", str(port)],
                )
            )
        env = service_env(endpoints, paths, llm_url)
        processes += [ServiceProcess(name, env, paths.logs / f"{name}.log") for name in SERVICES]
        with running(processes):
            if llm_url:
                wait_for_port(int(llm_url.rsplit(":", 1)[1]))
            console.print(f"  started {len(processes)} processes (logs in {paths.logs})")
            event = build(
                {
                    "account_id": "demo",
                    "project_id": "my-app",
                    "request_id": f"demo-{uuid.uuid4().hex[:8]}",
                    "component": {"module_name": SAMPLE_MODULE, "type": "service"},
                    "repository": {"url": url, "base_ref": "main", "push": True},
                    "options": {"expect": "red", "max_fix_attempts": 3},
                },
                source="cts/demo",
            )
            console.print(
                f"  requested session {event.data.session_id} for {SAMPLE_MODULE} (expect red)"
            )
            status = asyncio.run(_publish_and_follow(console, endpoints, event, timeout_s))
    console.print(f"  wall time {time.monotonic() - started:.1f}s")
    if status == "complete":
        branch = event.data.component.name
        from cts_contracts.naming import branch_name  # noqa: PLC0415

        console.print(
            git("--git-dir", str(paths.bare_repo), "show", "--stat", branch_name(branch)),
            highlight=False,
            markup=False,
        )
        return 0
    console.print(f"[red]the session did not complete[/]; logs are in {paths.logs}")
    return 1


async def _publish_and_follow(
    console: Console, endpoints: Endpoints, event: object, timeout_s: float
) -> str:
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    from cts_contracts import SessionRequested  # noqa: PLC0415

    assert isinstance(event, SessionRequested)
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic(SESSION_REQUESTED),
            event.model_dump_json().encode(),
            key=event.data.session_id.encode(),
        )
    finally:
        await producer.stop()
    status = "failed"
    with console.status("waiting for the services…") as spinner:
        async for update in follow(
            endpoints.kafka_bootstrap_servers,
            event.data.session_id,
            lookback_s=600,
            timeout_s=timeout_s,
        ):
            render.print_event(console, update)
            if update.kind == "requested":
                spinner.update(f"{render.step_label(update.data)} running…")
            if update.kind == "finished":
                status = str(update.data.get("status"))
    return status


def main() -> None:
    sys.exit(run_demo(Console()))
