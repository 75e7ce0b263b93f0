"""What `cts sessions show`, `cts sessions list` and `cts follow` print: the status, whole
summaries, a failed step's error, ids never cut, and session text never read as markup."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cts_client import render
from cts_client.follow import SessionEvent
from cts_contracts import (
    AgentData,
    Alignment,
    Expect,
    InitializeData,
    ResultStatus,
    RunTestsData,
    SessionStatus,
)
from cts_core import Session
from cts_testing.session_builders import answer, start

LONG_SUMMARY = " ".join(f"word{n:03d}" for n in range(60))  # 479 characters
COMPILER_ERROR = (
    "== Compilation error in file test/x_test.exs ==\n"
    "** (CompileError) undefined function valid_attrs/0 [/bold] [red]not markup[/red]\n"
    "    (elixir 1.14.0) lib/kernel/parallel_compiler.ex:346: anonymous fn/5"
)


def printed(width: int, draw: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, soft_wrap=False)
    assert callable(draw)
    draw(console)
    return out.getvalue()


def unwrapped(text: str) -> str:
    """The table's cell text with borders and line breaks taken out."""
    return re.sub(r"\s+", " ", re.sub(r"[│┃|]", " ", text))


def finished_session() -> Session:
    session = answer(start(), summary="created the branch")
    session = answer(session, summary="dependencies reused")
    session = answer(session, summary=LONG_SUMMARY)
    failed_run = session.in_flight
    assert failed_run is not None
    session = answer(session, status=ResultStatus.ERROR, summary="1 compile error(s)")
    errored = [
        i.model_copy(
            update={"result": i.result.model_copy(update={"error_message": COMPILER_ERROR})}
        )
        if i.id == failed_run.id and i.result
        else i
        for i in session.interactions
    ]
    return session.model_copy(
        update={
            "interactions": errored,
            "status": SessionStatus.COMPLETE,
            "reason": "done [complete] with [/] brackets",
        }
    )


@pytest.mark.parametrize("width", [80, 160])
def test_show_prints_the_status_whole_summaries_and_the_error(width: int) -> None:
    session = finished_session()
    text = printed(width, lambda c: render.session_detail(c, session))
    assert "status: complete" in text
    assert LONG_SUMMARY in unwrapped(text), "the summary is wrapped, never cut"
    lines = text.splitlines()
    for line in COMPILER_ERROR.splitlines():
        assert f"      {line}" in lines, "a failed step's error is shown, line by line, whole"
    assert "reason: done [complete] with [/] brackets" in text
    assert "fix_compilation_errors (fix 1)" in text, "step names are not cut"
    assert all(len(line) <= width for line in lines if line.strip() not in COMPILER_ERROR)


@pytest.mark.parametrize("width", [60, 80, 119, 120, 200])
def test_list_never_cuts_an_id(width: int) -> None:
    sessions = [finished_session(), start()]
    text = printed(width, lambda c: render.print_sessions(c, sessions))
    lines = text.splitlines()
    for session in sessions:
        assert any(session.id in line for line in lines), (session.id, text)
    assert all(len(line) <= max(width, 80) for line in lines)
    assert "complete" in text
    assert "active" in text
    assert "MyApp.Accounts.UserRepository" in unwrapped(text).replace(" ", "")


def test_followed_events_print_session_text_literally() -> None:
    event = SessionEvent(
        "completed",
        {
            "step": "run_tests",
            "status": "error",
            "summary": "1 compile error(s) [/] [bold]",
            "error_message": COMPILER_ERROR,
        },
    )
    text = printed(200, lambda c: render.print_event(c, event))
    assert "✘ run_tests: 1 compile error(s) [/] [bold]" in text
    assert "[/bold] [red]not markup[/red]" in text


def test_sessions_show_lists_the_missing_and_the_extra_tests_and_what_was_settled() -> None:
    session = answer(start(), data=InitializeData(
        branch="b", base_sha="a" * 40, expect=Expect.RED,
        design_file="docs/spec/my_app/shop.spec.md", design_format="codemyspec",
        test_assertions=3, warnings=["a warning [bold]kept as text[/bold]"],
    ))  # fmt: skip
    session = answer(session, data=AgentData(
        step="generate_tests_and_fixtures",
        rules=["built-in/exunit_tests.md", "docs/rules/testing.md"],
    ))  # fmt: skip
    alignment = Alignment(score=0.5, missing=['describe "buy/2" / test "charges the card"'],
                          unexpected=['describe "buy/2" / test "an invented case"'])  # fmt: skip
    session = answer(session, ResultStatus.ERROR, RunTestsData(compiled=True, alignment=alignment))
    shown = printed(100, lambda c: render.session_detail(c, session))
    assert "expect: auto -> red  max fix attempts: 3" in shown
    assert "design: docs/spec/my_app/shop.spec.md (codemyspec, 3 test(s) listed)" in shown
    assert "rules applied: built-in/exunit_tests.md, docs/rules/testing.md" in shown
    assert "alignment: 0.50  missing: 1  extra: 1" in shown
    assert shown.index("missing (listed in the design") < shown.index('test "charges the card"')
    assert shown.index("extra (in the tests") < shown.index('test "an invented case"')
    assert "warning: a warning [bold]kept as text[/bold]" in shown
