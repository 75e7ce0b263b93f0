"""``options.test_command`` accepts known runners with checked arguments, nothing else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cts_testing.factories import session_request, step_request


@pytest.mark.parametrize(
    "argv",
    [
        ["mix", "test"],
        ["mix", "test", "test/my_app/a_test.exs", "--only", "slow", "--seed", "0"],
        ["mix", "test", "test/my_app/a_test.exs:12", "--trace", "--max-failures", "3"],
        ["python", "-m", "pytest", "tests/test_users.py", "-q"],
        ["python3", "-m", "pytest", "tests/test_users.py::TestA::test_b", "-k", "not slow"],
    ],
)
def test_known_runners_with_known_options_are_accepted(argv: list[str]) -> None:
    assert session_request(options={"test_command": argv}).options.test_command == argv


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["sh", "-c", "cat /proc/$PPID/environ"], "only `mix test …` or `python -m pytest …`"),
        (["mix", "run", "-e", 'System.cmd("sh", [])'], "only `mix test …`"),
        (["mix", "test", "--formatter", "Evil"], "option '--formatter' is not accepted"),
        (["mix", "test", "--only"], "--only needs a value"),
        (["mix", "test", "--only", "$(id)"], "not an accepted value for --only"),
        (["mix", "test", "../other/test.exs"], "must not contain '..'"),
        (["mix", "test", "/etc/passwd"], "absolute"),
        (["python", "-c", "import os"], "only `mix test …`"),
        (["python", "-m", "pytest", "-p", "evil_plugin"], "option '-p' is not accepted"),
        (["python", "-m", "pytest", "--rootdir=/"], "option '--rootdir=/' is not accepted"),
    ],
)
def test_anything_else_is_refused_naming_the_field(argv: list[str], reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        session_request(options={"test_command": argv})
    assert "options.test_command" in str(refused.value)
    assert reason in str(refused.value)


def test_a_command_carries_the_same_check() -> None:
    with pytest.raises(ValidationError, match="test_command"):
        step_request(test_command=["sh", "-c", "id"])
