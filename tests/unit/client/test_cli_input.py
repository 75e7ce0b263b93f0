"""`cts request` turns flags and files into a valid request, and bad input into exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cts_client.cli import app
from cts_client.requests import BadRequest, build, load_file, merge

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
