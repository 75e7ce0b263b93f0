"""Design inputs on the real stack: a CodeMySpec-layout repository through a red session with
alignment scored both ways and its own rules applied; a missing design and a design without
Test Assertions ending the session at Initialize before any model call; expect auto."""

from __future__ import annotations

import asyncio
from typing import Any

from typer.testing import CliRunner

from cts_client.cli import app
from cts_contracts.naming import branch_name

from .conftest import System, git, request_for, run_session

SHELF = "Shelf.Catalog.StockKeeper"
SHELF_TEST = "test/shelf/catalog/stock_keeper_test.exs"
EXTRA = 'describe "count/2" / test "counts every unit added"'


def steps_of(seen: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["step"], c["status"]) for c in seen["completed"]]


def prompts_naming(system: System, text: str) -> list[dict[str, Any]]:
    """The model requests whose first prompt names ``text``."""
    return [
        r["body"]
        for r in system.model_requests()
        if text in r["body"]["messages"][0]["content"][0]["text"]
    ]


async def test_a_codemyspec_repository_goes_red_with_alignment_both_ways_and_its_rules(
    system: System, sessions: Any
) -> None:
    request = request_for(system.shelf_url, SHELF, "e2e-shelf", component_type="genserver")
    assert request.data.options.expect.value == "auto"
    seen = await run_session(system, request)

    [finished] = seen["finished"]
    assert finished["status"] == "complete", f"{finished}\n{system.logs()}"
    assert steps_of(seen) == [
        ("initialize", "ok"),
        ("prepare_project", "ok"),
        ("generate_tests_and_fixtures", "ok"),
        ("run_tests", "error"),
        ("fix_compilation_errors", "ok"),
        ("run_tests", "ok"),
        ("finalize", "ok"),
    ]
    init, _, generate, first_run, fix, second_run, _ = (c["data"] for c in seen["completed"])
    assert (init["design_file"], init["design_format"], init["parent_design_file"]) == (
        "docs/spec/shelf/catalog/stock_keeper.spec.md",
        "codemyspec",
        "docs/spec/shelf/catalog.spec.md",
    )
    assert (init["test_assertions"], init["expect"]) == (6, "red")

    # Alignment scored both ways: the extra test alone fails the first run (6 / 7 < 0.9).
    assert first_run["compiled"] is True
    assert (first_run["total"], first_run["passed"]) == (7, 0)
    assert first_run["alignment"] == {"score": 0.8571, "missing": [], "unexpected": [EXTRA]}
    assert "tests it does not list count against it" in seen["completed"][3]["error_message"]
    assert fix["files_written"] == [SHELF_TEST]
    assert (second_run["total"], second_run["passed"]) == (6, 0)
    assert second_run["alignment"] == {"score": 1.0, "missing": [], "unexpected": []}

    # The repository's rules: CodeMySpec's front matter (session_type: test), a file without
    # front matter, and not the one for coding sessions.
    assert generate["rules"] == [
        "built-in/exunit_tests.md",
        "built-in/fixtures.md",
        "built-in/genserver_tests.md",
        "docs/rules/style.md",
        "docs/rules/testing.md",
    ]
    [first_request, *_] = prompts_naming(system, f"({SHELF})")
    system_text = "".join(block["text"] for block in first_request["system"])
    assert "# Shelf: testing processes" in system_text
    assert "# Shelf house style" in system_text
    assert "writing implementation code" not in system_text
    prompt = first_request["messages"][0]["content"][0]["text"]
    assert "Project (from README.md): Shelf keeps the catalogue and the stock" in prompt
    for identifier in (request.data.session_id, "e2e", "my-app"):
        assert identifier not in prompt

    committed = git(system.shelf_repo, "show", f"{branch_name('StockKeeper')}:{SHELF_TEST}")
    assert "counts every unit added" not in committed
    assert committed.count('  test "') == 6
    assert finished["outcome"]["expect"] == "red"
    doc = await sessions.find_one({"_id": request.data.session_id})
    assert doc["interactions"][2]["result"]["data"]["rules"] == generate["rules"]

    env = {"CTS_MONGODB_URI": system.endpoints.mongodb_uri,
           "CTS_MONGODB_DATABASE": system.database, "COLUMNS": "200"}  # fmt: skip
    show = ["sessions", "show", request.data.session_id, "--account", "e2e", "--project", "my-app"]
    shown = await asyncio.to_thread(CliRunner().invoke, app, show, env=env)
    assert shown.exit_code == 0, shown.output
    assert "expect: auto -> red" in shown.output
    assert (
        "design: docs/spec/shelf/catalog/stock_keeper.spec.md (codemyspec, 6 test(s) listed)"
        in (shown.output)
    )
    assert "alignment: 1.00  missing: 0  extra: 0" in shown.output


async def test_a_missing_design_ends_the_session_at_initialize_before_any_model_call(
    system: System,
) -> None:
    request = request_for(system.repo_url, "MyApp.Accounts.Invoice", "e2e-no-design")
    seen = await run_session(system, request, within=60)

    [finished] = seen["finished"]
    assert finished["status"] == "failed"
    assert steps_of(seen) == [("initialize", "error")]
    assert finished["reason"] == (
        "Initialize failed: design file not found at main: docs/design/my_app/accounts/invoice.md"
        " (nor CodeMySpec's docs/spec/my_app/accounts/invoice.spec.md); commit it, or name "
        "another with component.design_file"
    )
    assert prompts_naming(system, "MyApp.Accounts.Invoice") == []
    assert finished["outcome"]["expect"] is None


async def test_a_design_without_test_assertions_fails_fast_unless_the_session_allows_it(
    system: System,
) -> None:
    strict = request_for(system.repo_url, "MyApp.Accounts.User", "e2e-no-assertions",
                         component_type="schema")  # fmt: skip
    seen = await run_session(system, strict, within=60)
    [finished] = seen["finished"]
    assert steps_of(seen) == [("initialize", "error")]
    assert finished["reason"].startswith(
        "Initialize failed: docs/design/my_app/accounts/user.md at main lists no Test Assertions"
    )
    assert prompts_naming(system, "(MyApp.Accounts.User)") == []

    allowed = request_for(system.repo_url, "MyApp.Accounts.User", "e2e-no-assertions-allowed",
                          component_type="schema", expect="none",
                          require_test_assertions=False)  # fmt: skip
    seen = await run_session(system, allowed)
    [finished] = seen["finished"]
    assert finished["status"] == "complete", f"{finished}\n{system.logs()}"
    assert steps_of(seen) == [
        ("initialize", "ok"), ("generate_tests_and_fixtures", "ok"), ("finalize", "ok")
    ]  # fmt: skip
    assert finished["outcome"]["warnings"] == [
        "docs/design/my_app/accounts/user.md lists no Test Assertions: the tests were written "
        "without them and not checked for alignment"
    ]
    assert len(prompts_naming(system, "(MyApp.Accounts.User)")) == 2
