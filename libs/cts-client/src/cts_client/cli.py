"""The ``cts`` command line: request a session, follow it, inspect sessions, create topics."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cts_client import render
from cts_client.follow import follow as follow_events
from cts_client.requests import BadRequest, build, load_file, merge
from cts_contracts import SessionStatus
from cts_contracts.topics import SESSION_REQUESTED, topic
from cts_core import Scope
from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings, MongoSettings

app = typer.Typer(
    help="Component Test Sessions: design document in, committed tests out.",
    no_args_is_help=True,
    add_completion=False,
)
sessions_app = typer.Typer(
    help="Inspect stored sessions (scoped by account and project).", no_args_is_help=True
)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(topics_app, name="topics")
console = Console()
errors = Console(stderr=True)

EXIT_COMPLETE, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PATHS = "Component paths (each defaults from --module)"


def fail_input(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
def request(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="JSON or YAML request")] = None,
    account: Annotated[str | None, typer.Option(help="Account id")] = None,
    project: Annotated[str | None, typer.Option(help="Project id")] = None,
    module: Annotated[
        str | None, typer.Option(help="Component module, e.g. MyApp.Accounts.X")
    ] = None,
    component_type: Annotated[
        str | None, typer.Option("--type", help="Component type: selects rules, e.g. repository")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Human name (default: last alias)")] = None,
    description: Annotated[str | None, typer.Option(help="What the component does")] = None,
    source_file: Annotated[
        str | None, typer.Option(help="Default: lib/<module path>.ex", rich_help_panel=PATHS)
    ] = None,
    design_file: Annotated[
        str | None,
        typer.Option(help="Default: docs/design/<module path>.md", rich_help_panel=PATHS),
    ] = None,
    parent_design_file: Annotated[
        str | None,
        typer.Option(help="Default: the enclosing module's design file", rich_help_panel=PATHS),
    ] = None,
    test_file: Annotated[
        str | None,
        typer.Option(help="Default: test/<module path>_test.exs", rich_help_panel=PATHS),
    ] = None,
    fixture_file: Annotated[
        str | None,
        typer.Option(
            help="Default: test/support/fixtures/<path below the app>_fixtures.ex",
            rich_help_panel=PATHS,
        ),
    ] = None,
    fixture_module: Annotated[
        str | None, typer.Option(help="Default: <module>Fixtures", rich_help_panel=PATHS)
    ] = None,
    repo: Annotated[str | None, typer.Option(help="Repository URL")] = None,
    base_ref: Annotated[str | None, typer.Option(help="Branch or tag to start from")] = None,
    push: Annotated[bool | None, typer.Option(help="Push the session branch")] = None,
    expect: Annotated[
        str | None,
        typer.Option(help="auto (default: red without the source file) | red | green | none"),
    ] = None,
    max_fix_attempts: Annotated[int | None, typer.Option(help="0-10")] = None,
    alignment_threshold: Annotated[
        float | None, typer.Option(help="0-1, share of the design's Test Assertions (0.9)")
    ] = None,
    project_description: Annotated[
        str | None, typer.Option(help="What the project is (default: its README's first paragraph)")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Claude model id")] = None,
    request_id: Annotated[
        str | None, typer.Option(help="Idempotency key (default: random)")
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Follow until it finishes")] = False,
) -> None:
    """Publish a SessionRequested and print the session id."""
    try:
        base = load_file(file) if file else {}
        flags: dict[str, Any] = {
            "account_id": account,
            "project_id": project,
            "request_id": request_id,
            "project_description": project_description,
            "component": {
                "module_name": module,
                "type": component_type,
                "name": name,
                "description": description,
                "source_file": source_file,
                "design_file": design_file,
                "parent_design_file": parent_design_file,
                "test_file": test_file,
                "fixture_file": fixture_file,
                "fixture_module": fixture_module,
            },
            "repository": {"url": repo, "base_ref": base_ref, "push": push},
            "options": {
                "expect": expect,
                "max_fix_attempts": max_fix_attempts,
                "model": model,
                "alignment_threshold": alignment_threshold,
            },
        }
        event = build(merge(base, flags))
    except BadRequest as exc:
        raise fail_input(str(exc)) from None
    settings = KafkaSettings()
    asyncio.run(_publish(settings, event.model_dump_json().encode(), event.data.session_id))
    console.print(event.data.session_id)
    if follow:
        raise typer.Exit(_follow(event.data.session_id, timeout=None))


async def _publish(settings: KafkaSettings, payload: bytes, key: str) -> None:
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415 - only this command needs a producer

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        **client_security(settings),
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic(SESSION_REQUESTED, settings.topic_prefix),
            payload,
            key=key.encode(),
            headers=[("content-type", b"application/json")],
        )
    finally:
        await producer.stop()


@app.command("follow")
def follow_command(
    session_id: Annotated[str, typer.Argument(help="The session id printed by `cts request`")],
    timeout: Annotated[float | None, typer.Option(help="Give up after this many seconds")] = None,
) -> None:
    """Show live progress of a session; exit 0 when it completes, 1 when it fails."""
    raise typer.Exit(_follow(session_id, timeout=timeout))


def _follow(session_id: str, *, timeout: float | None) -> int:
    settings = KafkaSettings()

    async def run() -> int:
        outcome = EXIT_FAILED
        with console.status(f"following {session_id}…") as status:
            async for event in follow_events(
                settings.kafka_bootstrap_servers,
                session_id,
                prefix=settings.topic_prefix,
                timeout_s=timeout,
                security=client_security(settings),
            ):
                render.print_event(console, event)
                if event.kind == "requested":
                    status.update(f"{render.step_label(event.data)} running…")
                if event.kind == "finished":
                    outcome = (
                        EXIT_COMPLETE if event.data.get("status") == "complete" else EXIT_FAILED
                    )
        return outcome

    try:
        return asyncio.run(run())
    except TimeoutError as exc:
        errors.print(f"[yellow]{exc}[/]")
        return EXIT_FAILED


@sessions_app.command("list")
def sessions_list(
    account: Annotated[str, typer.Option(help="Account id")],
    project: Annotated[str, typer.Option(help="Project id")],
    status: Annotated[SessionStatus | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List sessions, newest first."""
    page = asyncio.run(_list(Scope(account_id=account, project_id=project), status, limit))
    if as_json:
        console.print_json(json.dumps([s.model_dump(mode="json") for s in page]))
    else:
        render.print_sessions(console, page)


@sessions_app.command("show")
def sessions_show(
    session_id: Annotated[str, typer.Argument()],
    account: Annotated[str, typer.Option(help="Account id")],
    project: Annotated[str, typer.Option(help="Project id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one session with its interactions. Another account's session is not found."""
    session = asyncio.run(_get(Scope(account_id=account, project_id=project), session_id))
    if session is None:
        errors.print(f"[red]not found:[/] no session {session_id} in {account}/{project}")
        raise typer.Exit(EXIT_FAILED)
    if as_json:
        console.print_json(session.model_dump_json())
    else:
        render.session_detail(console, session)


async def _list(scope: Scope, status: SessionStatus | None, limit: int) -> list[Any]:
    from cts_store import SessionStore, connect  # noqa: PLC0415 - keeps `cts request` light

    settings = MongoSettings()
    client = connect(settings.mongodb_uri.get_secret_value(), app_name="cts-cli")
    try:
        store = SessionStore(client[settings.mongodb_database])
        return (await store.list_sessions(scope, status=status, limit=limit)).sessions
    finally:
        await client.close()


async def _get(scope: Scope, session_id: str) -> Any:
    from cts_store import SessionStore, connect  # noqa: PLC0415 - keeps `cts request` light

    settings = MongoSettings()
    client = connect(settings.mongodb_uri.get_secret_value(), app_name="cts-cli")
    try:
        return await SessionStore(client[settings.mongodb_database]).get(scope, session_id)
    finally:
        await client.close()


@topics_app.command("create")
def topics_create(
    partitions: Annotated[int, typer.Option(min=1, help="Partitions per topic")] = 6,
    replication_factor: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Create the CTS topics (idempotent)."""
    from cts_runtime.topics_admin import ensure_topics  # noqa: PLC0415

    settings = KafkaSettings()
    created = asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap_servers,
            prefix=settings.topic_prefix,
            partitions=partitions,
            replication_factor=replication_factor,
            security=client_security(settings),
        )
    )
    console.print(
        f"created {len(created)} topic(s)" + (f": {', '.join(created)}" if created else "")
    )


def main() -> None:
    app()
