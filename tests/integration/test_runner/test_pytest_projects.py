"""The pytest runner on a real Python project: the same step serves non-Elixir projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cts_contracts import Expect, ResultStatus, RunTestsData, Step
from cts_testing.factories import step_request

TESTS = """\
import pytest


class TestCreateUser:
    def test_inserts_a_user(self):
        from app.users import create_user

        assert create_user("ada@example.com") == {"email": "ada@example.com"}

    def test_rejects_a_malformed_email(self):
        from app.users import create_user

        with pytest.raises(ValueError):
            create_user("nope")
"""
IMPLEMENTATION = """\
def create_user(email):
    if "@" not in email:
        raise ValueError(email)
    return {"email": email}
"""
DESIGN = """## Test Assertions

- describe "TestCreateUser"
  - test "test_inserts_a_user"
  - test "test_rejects_a_malformed_email"
"""


def project(root: Path, *, implemented: bool, expect: Expect) -> Any:
    command = step_request(
        Step.RUN_TESTS,
        expect=expect,
        component={
            "module_name": "App.Users",
            "type": "module",
            "test_file": "tests/test_users.py",
            "design_file": "docs/users.md",
        },
    )
    workspace = root / command.workspace
    files = {"tests/test_users.py": TESTS, "docs/users.md": DESIGN, "app/__init__.py": ""}
    if implemented:
        files["app/users.py"] = IMPLEMENTATION
    for relative, text in files.items():
        (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
        (workspace / relative).write_text(text)
    return command


async def test_red_then_green_with_pytest(tmp_path: Path, sandbox_factory: Any) -> None:
    runner, recorder = sandbox_factory(tmp_path).runner()

    red = await runner(project(tmp_path, implemented=False, expect=Expect.RED))
    green = await runner(project(tmp_path, implemented=True, expect=Expect.GREEN))

    assert recorder.runs[0].argv[1:3] == ("-m", "pytest")
    assert red.status is ResultStatus.OK, red.error_message
    assert green.status is ResultStatus.OK, green.error_message
    for outcome, state in ((red, "failed"), (green, "passed")):
        data = outcome.data
        assert isinstance(data, RunTestsData)
        assert data.total == 2
        assert {t.state for t in data.tests} == {state}
        assert data.alignment is not None
        assert data.alignment.score == 1.0
    assert isinstance(green.data, RunTestsData)
    assert green.data.tests[0].file == "tests/test_users.py"
    assert green.data.tests[0].line == 5


async def test_a_passing_pytest_test_in_red_mode_is_named(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    runner, _ = sandbox_factory(tmp_path).runner()

    outcome = await runner(project(tmp_path, implemented=True, expect=Expect.RED))

    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message is not None
    assert (
        "test TestCreateUser test_inserts_a_user (tests/test_users.py:5)" in outcome.error_message
    )
