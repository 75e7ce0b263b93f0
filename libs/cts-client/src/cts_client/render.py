"""How sessions look in a terminal.

Everything that comes from a session (summaries, errors, reasons, statuses) is printed as
plain text: ``[complete]`` or a compiler's ``[/path]`` must never be taken for rich markup.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cts_client.follow import SessionEvent
from cts_client.render_checks import print_checks
from cts_contracts import Outcome
from cts_core import Session

MARK = {"ok": "[green]✔[/]", "error": "[red]✘[/]", "transient": "[yellow]↻[/]"}
STATUS_STYLE = {"complete": "bold green", "failed": "bold red", "cancelled": "yellow"}
ERROR_LINES_FOLLOWED = 6
"""Lines of a failed step's error that `cts follow` shows; `sessions show` shows all of it."""


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
        console.print(f"  [cyan]▶[/] {escape(step_label(data))}")
    elif event.kind == "completed":
        mark = MARK.get(str(data.get("status")), "?")
        summary = escape(f"{data.get('step')}: {data.get('summary', '')}")
        console.print(f"  {mark} {summary}")
        if data.get("status") != "ok" and data.get("error_message"):
            for line in str(data["error_message"]).strip().splitlines()[:ERROR_LINES_FOLLOWED]:
                console.print(Text(f"      {line}", style="dim"))
    else:
        print_finished(console, data)


def print_finished(console: Console, data: dict[str, Any]) -> None:
    outcome = data.get("outcome") or {}
    usage = outcome.get("usage") or {}
    if data.get("status") == "complete":
        console.print(f"[bold green]Session complete[/] in {outcome.get('duration_s', 0):.1f}s")
    else:
        console.print(
            f"[bold red]Session {escape(str(data.get('status')))}[/]: "
            f"{escape(str(data.get('reason')))}"
        )
    if outcome.get("commit_sha"):
        console.print(
            Text(f"  commit {outcome['commit_sha'][:12]} on {outcome.get('branch')}"),
        )
        for path in outcome.get("files", []):
            console.print(Text(f"    {path}"))
    console.print(
        f"  fix attempts: {outcome.get('fix_attempts', 0)}  tokens in/out: "
        f"{usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)}  "
        f"cost: ${usage.get('cost_usd', 0):.4f}"
    )


WIDE = 120
"""From this width `cts sessions list` is one table row per session, below it two lines."""


def print_sessions(console: Console, sessions: list[Session]) -> None:
    """The id is what `cts sessions show` needs: it is never wrapped or cut, at any width."""
    if console.width >= WIDE:
        console.print(_sessions_table(sessions))
        return
    for s in sessions:
        console.print(
            Text.assemble(
                (s.id, "bold"),
                "  ",
                (s.status.value, STATUS_STYLE.get(s.status.value, "")),
                f"  {len(s.interactions)} step(s)  {s.created_at:%Y-%m-%d %H:%M:%S}",
            ),
            no_wrap=True,
            overflow="ignore",
            crop=False,
        )
        console.print(Text(f"    {s.request.component.module_name}"))
        if s.reason:
            console.print(Text(f"    {s.reason}"))


def _sessions_table(sessions: list[Session]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("session", no_wrap=True, min_width=36)
    table.add_column("status", no_wrap=True)
    longest = max((len(s.request.component.module_name) for s in sessions), default=9)
    table.add_column("component", overflow="fold", min_width=min(longest, 40))
    table.add_column("steps", justify="right", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("reason")
    for s in sessions:
        table.add_row(
            s.id,
            Text(s.status.value, style=STATUS_STYLE.get(s.status.value, "")),
            s.request.component.module_name,
            str(len(s.interactions)),
            f"{s.created_at:%Y-%m-%d %H:%M:%S}",
            Text(s.reason or ""),
        )
    return table


def session_detail(console: Console, s: Session) -> None:
    request = s.request
    console.print(Text.assemble((s.id, "bold"), f"  {request.component.module_name}"))
    console.print(
        Text.assemble("  status: ", (s.status.value, STATUS_STYLE.get(s.status.value, "")))
    )
    for label, value in (
        ("account/project", f"{s.account_id}/{s.project_id}  request: {s.request_id}"),
        ("repository", f"{request.repository.url} @ {request.repository.base_ref}"),
    ):
        console.print(Text(f"  {label}: {value}"))
    print_checks(console, s)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("step", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("summary", ratio=1)  # the rest of the width; wraps, never cut
    failed: list[tuple[int, str, str]] = []
    for n, i in enumerate(s.interactions, 1):
        label = step_label(
            {"step": i.step.value, "attempt": i.attempt, "fix_attempt": i.fix_attempt}
        )
        status = i.result.status.value if i.result else "in flight"
        table.add_row(str(n), label, status, Text(i.result.summary if i.result else ""))
        if i.result and i.result.status.value != "ok" and i.result.error_message:
            failed.append((n, label, i.result.error_message))
    console.print(table)
    for n, label, error in failed:
        console.print(Text(f"  error of #{n} {label}:", style="red"))
        # Whole lines (the terminal wraps them): an error is copied and searched for.
        for line in error.strip().splitlines():
            console.print(Text(f"      {line}"), soft_wrap=True)
    if s.reason:
        console.print(Text(f"  reason: {s.reason}"))
    if s.outcome:
        _print_outcome(console, s.outcome)


def _print_outcome(console: Console, outcome: Outcome) -> None:
    usage = outcome.usage
    if outcome.commit_sha:
        console.print(Text(f"  commit: {outcome.commit_sha} on {outcome.branch}"))
    for path in outcome.files:
        console.print(Text(f"    {path}"))
    console.print(
        Text(
            f"  fix attempts: {outcome.fix_attempts}  tokens in/out: "
            f"{usage.input_tokens}/{usage.output_tokens}  "
            f"cost: ${usage.cost_usd:.4f}  duration: {outcome.duration_s:.1f}s"
        )
    )
