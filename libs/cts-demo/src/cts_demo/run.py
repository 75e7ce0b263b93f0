"""`cts-demo` (what `make demo` runs): one real session end to end on the local stack.

Starts what is missing (the local stack, the scripted model server when there is no
``ANTHROPIC_API_KEY``), the four services as separate processes, publishes a red-mode request
for the sample component, shows live progress, prints the commit, and stops everything it
started — also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

from aiokafka import AIOKafkaProducer
from rich.console import Console

from cts_client import render
from cts_client.follow import follow
from cts_client.requests import build
from cts_contracts import SessionRequested
from cts_contracts.naming import branch_name
from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_demo.processes import SERVICES, running, scripted_model, service_env
from cts_demo.repository import DemoPaths, git, prepare_repository
from cts_runtime.topics_admin import ensure_topics
from cts_testing.network import wait_for_port
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints, local_stack, repo_root

SAMPLE_MODULE = "MyApp.Accounts.UserRegistration"


def run_demo(console: Console, *, timeout_s: float = 600) -> int:
    real_model = bool(os.environ.get("ANTHROPIC_API_KEY"))
    _announce(console, real_model)
    paths = DemoPaths(repo_root() / ".cache" / "demo")
    paths.logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with local_stack() as endpoints:
        asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers))
        event = _request(prepare_repository(paths, console))
        processes: list[ServiceProcess] = []
        llm_url = None
        if not real_model:
            model, llm_url = scripted_model(paths)
            processes.append(model)
        env = service_env(endpoints, paths, llm_url)
        processes += [ServiceProcess(name, env, paths.logs / f"{name}.log") for name in SERVICES]
        with running(processes):
            if llm_url:
                wait_for_port(int(llm_url.rsplit(":", 1)[1]))
            console.print(f"  started {len(processes)} processes (logs in {paths.logs})")
            console.print(
                f"  requested session {event.data.session_id} for {SAMPLE_MODULE} (expect red)"
            )
            status = asyncio.run(_publish_and_follow(console, endpoints, event, timeout_s))
    console.print(f"  wall time {time.monotonic() - started:.1f}s")
    return _show_result(console, paths, event, status)


def _announce(console: Console, real_model: bool) -> None:
    if os.environ.get("CTS_DEMO_ANNOUNCED") == "1":
        return  # `make demo` said it already, as its first line
    if real_model:
        console.print("[bold]CTS demo[/] — using Claude (ANTHROPIC_API_KEY is set)")
    else:
        console.print(
            "[bold]CTS demo[/] — [yellow]scripted model[/]: no ANTHROPIC_API_KEY, so a "
            "local server replays a recorded Claude conversation"
        )


def _request(repository_url: str) -> SessionRequested:
    return build(
        {
            "account_id": "demo",
            "project_id": "my-app",
            "request_id": f"demo-{uuid.uuid4().hex[:8]}",
            "component": {"module_name": SAMPLE_MODULE, "type": "service"},
            "repository": {"url": repository_url, "base_ref": "main", "push": True},
            "options": {"expect": "red", "max_fix_attempts": 3},
        },
        source="cts/demo",
    )


def _show_result(console: Console, paths: DemoPaths, event: SessionRequested, status: str) -> int:
    if status != "complete":
        console.print(f"[red]the session did not complete[/]; logs are in {paths.logs}")
        return 1
    branch = branch_name(event.data.component.name)
    console.print(
        git("--git-dir", str(paths.bare_repo), "show", "--stat", branch),
        highlight=False,
        markup=False,
    )
    return 0


async def _publish_and_follow(
    console: Console, endpoints: Endpoints, event: SessionRequested, timeout_s: float
) -> str:
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
    parser = argparse.ArgumentParser(prog="cts-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600,
                        help="give up on the session after this many seconds")  # fmt: skip
    sys.exit(run_demo(Console(), timeout_s=parser.parse_args().timeout))
