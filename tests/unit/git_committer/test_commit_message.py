"""The commit message: subject, files, and the trailers git can read back."""

from __future__ import annotations

import subprocess

from cts_contracts import Component
from cts_git_committer.commit_message import commit_message


def test_message_has_subject_files_and_trailers_git_parses() -> None:
    component = Component.model_validate(
        {"module_name": "MyApp.Accounts.UserRepository", "type": "repository"}
    )
    message = commit_message(component, ["test/a_test.exs", "test/support/b.ex"],
                             session_id="s-1", account_id="acme", project_id="shop")  # fmt: skip
    assert message.splitlines()[0] == "Add tests and fixtures for UserRepository"
    assert "- test/a_test.exs\n- test/support/b.ex\n" in message
    parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert parsed.splitlines() == ["Cts-Session: s-1", "Cts-Account: acme", "Cts-Project: shop"]
