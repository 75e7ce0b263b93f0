"""`cts request` turns flags and files into a valid request, and bad input into exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cts_client import cli
from cts_client.cli import app
from cts_client.requests import BadRequest, build, load_file, merge
from cts_contracts.naming import session_id_for

runner = CliRunner()


def test_flags_override_the_file_and_a_request_id_is_made_up(tmp_path: Path) -> None:
    source = tmp_path / "req.yaml"
    source.write_text(
        "account_id: acme\nproject_id: shop\n"
        "component: {module_name: MyApp.Accounts.UserRegistration, type: service}\n"
        "repository: {url: 'https://git.example/shop.git', base_ref: main}\n"
        "options: {expect: red, max_fix_attempts: 2}\n"
    )
    raw = merge(load_file(source), {"options": {"expect": "green", "model": None}})
    event = build(raw)
    assert event.data.options.expect.value == "green"
    assert event.data.options.max_fix_attempts == 2
    assert event.data.request_id.startswith("cli-")
    assert event.subject == event.data.session_id


def test_a_whole_cloudevent_file_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "event.json"
    source.write_text(
        json.dumps(
            {
                "specversion": "1.0",
                "type": "dev.cts.session.requested.v1",
                "source": "me",
                "data": {
                    "request_id": "r1",
                    "account_id": "acme",
                    "project_id": "shop",
                    "component": {"module_name": "MyApp.A", "type": "x"},
                    "repository": {"url": "https://h/r.git"},
                },
            }
        )
    )
    assert build(merge(load_file(source), {})).data.request_id == "r1"


@pytest.mark.parametrize(
    ("content", "message"),
    [("[1, 2]", "must hold a mapping"), ("{nope", "is not valid JSON")],
)
def test_unusable_files_are_bad_requests(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "req.json"
    source.write_text(content)
    with pytest.raises(BadRequest, match=message):
        load_file(source)


def test_bad_input_exits_2_naming_the_field() -> None:
    result = runner.invoke(
        app,
        [
            "request",
            "--account",
            "acme",
            "--project",
            "shop",
            "--module",
            "not a module",
            "--type",
            "repository",
            "--repo",
            "https://h/r.git",
        ],
    )
    assert result.exit_code == 2
    assert "component.module_name" in result.output


def test_a_missing_file_exits_2() -> None:
    result = runner.invoke(app, ["request", "--file", "/nonexistent/req.yaml"])
    assert result.exit_code == 2
    assert "cannot read /nonexistent/req.yaml" in result.output


def test_component_paths_have_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[bytes, str]] = []

    async def publish(settings: object, payload: bytes, key: str) -> None:
        sent.append((payload, key))

    monkeypatch.setattr(cli, "_publish", publish)
    paths = {
        "--source-file": "lib/shop/billing.ex",
        "--design-file": "docs/billing.md",
        "--parent-design-file": "docs/shop.md",
        "--test-file": "test/billing_test.exs",
        "--fixture-file": "test/support/billing_fixtures.ex",
        "--fixture-module": "Shop.BillingFixtures",
        "--name": "Billing",
        "--description": "Invoices [and] credit notes",
    }
    result = runner.invoke(
        app,
        ["request", "--account", "acme", "--project", "shop", "--module", "Shop.Billing",
         "--type", "context", "--repo", "https://h/r.git", "--request-id", "r-7",
         *[part for flag, value in paths.items() for part in (flag, value)]],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [(payload, key)] = sent
    component = json.loads(payload)["data"]["component"]
    for flag, value in paths.items():
        assert component[flag.removeprefix("--").replace("-", "_")] == value
    assert key == session_id_for("acme", "shop", "r-7") == result.stdout.strip()


def test_a_bad_path_flag_exits_2_naming_the_field() -> None:
    result = runner.invoke(
        app,
        ["request", "--account", "acme", "--project", "shop", "--module", "Shop.Billing",
         "--type", "context", "--repo", "https://h/r.git", "--test-file", "../escape_test.exs"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "component.test_file" in result.output
