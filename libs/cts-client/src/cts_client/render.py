"""How sessions look in a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cts_client.follow import SessionEvent
from cts_core import Session

MARK = {"ok": "[green]✔[/]", "error": "[red]✘[/]", "transient": "[yellow]↻[/]"}


def step_label(data: dict[str, Any]) -> str:
    step = str(data.get("step", "?"))
    attempt = data.get("attempt", 1)
    fix = data.get("fix_attempt", 0)
    extra = [f"fix {fix}"] if fix else []
    extra += [f"attempt {attempt}"] if attempt and attempt > 1 else []
    return f"{step}" + (f" ({', '.join(extra)})" if extra else "")


def print_event(console: Console, event: SessionEvent) -> None:
    data = event.data
    if event.kind == "requested":
        console.print(f"  [cyan]▶[/] {step_label(data)}")
    elif event.kind == "completed":
        mark = MARK.get(str(data.get("status")), "?")
        console.print(f"  {mark} {data.get('step')}: {data.get('summary', '')}")
        if data.get("status") != "ok" and data.get("error_message"):
            first = str(data["error_message"]).strip().splitlines()[:6]
            for line in first:
                console.print(f"      [dim]{line}[/]", highlight=False)
    else:
        print_finished(console, data)


def print_finished(console: Console, data: dict[str, Any]) -> None:
    outcome = data.get("outcome") or {}
    usage = outcome.get("usage") or {}
    if data.get("status") == "complete":
        console.print(f"[bold green]Session complete[/] in {outcome.get('duration_s', 0):.1f}s")
    else:
        console.print(f"[bold red]Session {data.get('status')}[/]: {data.get('reason')}")
    if outcome.get("commit_sha"):
        console.print(f"  commit {outcome['commit_sha'][:12]} on {outcome.get('branch')}")
        for path in outcome.get("files", []):
            console.print(f"    {path}")
    console.print(
        f"  fix attempts: {outcome.get('fix_attempts', 0)}  tokens in/out: "
        f"{usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)}  "
        f"cost: ${usage.get('cost_usd', 0):.4f}"
    )


def sessions_table(sessions: list[Session]) -> Table:
    table = Table("session", "component", "status", "steps", "created", "reason")
    for s in sessions:
        table.add_row(
            s.id,
            s.request.component.module_name,
            s.status.value,
            str(len(s.interactions)),
            s.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            (s.reason or "")[:60],
        )
    return table


def session_detail(console: Console, s: Session) -> None:
    console.print(f"[bold]{s.id}[/]  {s.request.component.module_name}  [{s.status.value}]")
    console.print(f"  account/project: {s.account_id}/{s.project_id}  request: {s.request_id}")
    console.print(f"  repository: {s.request.repository.url} @ {s.request.repository.base_ref}")
    console.print(
        f"  expect: {s.request.options.expect.value}  "
        f"max fix attempts: {s.request.options.max_fix_attempts}"
    )
    table = Table("#", "step", "attempt", "fix", "status", "summary")
    for n, i in enumerate(s.interactions, 1):
        status = i.result.status.value if i.result else "in flight"
        summary = i.result.summary[:70] if i.result else ""
        table.add_row(str(n), i.step.value, str(i.attempt), str(i.fix_attempt), status, summary)
    console.print(table)
    if s.reason:
        console.print(f"  reason: {s.reason}")
    if s.outcome:
        console.print(f"  outcome: {s.outcome}")
