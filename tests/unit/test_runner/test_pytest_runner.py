"""The pytest runner: its command and its JUnit report."""

from __future__ import annotations

from pathlib import Path

from cts_test_runner.process import ProcessResult
from cts_test_runner.runners.base import RunRequest, TestId
from cts_test_runner.runners.pytest import PytestRunner

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3">
<testcase classname="tests.test_users.TestCreateUser" name="test_inserts"
          file="tests/test_users.py" line="4" time="0.001"/>
<testcase classname="tests.test_users.TestCreateUser" name="test_rejects"
          file="tests/test_users.py" line="8" time="0.001">
  <failure message="assert 1 == 2">def test_rejects():
&gt;       assert 1 == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="tests.test_users" name="test_later"
          file="tests/test_users.py" line="12" time="0">
  <skipped message="not yet">skip</skipped></testcase>
</testsuite></testsuites>
"""

COLLECTION_ERROR = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="0" skipped="0" tests="1">
<testcase classname="" name="tests.test_users" time="0.000">
<error message="collection failure">tests/test_users.py:3: in &lt;module&gt;
    from app.users import create_user
E   ModuleNotFoundError: No module named 'app'</error></testcase>
</testsuite></testsuites>
"""


def request(tmp_path: Path) -> RunRequest:
    return RunRequest(
        workspace=tmp_path,
        test_file="tests/test_users.py",
        session_files=("tests/test_users.py",),
        build_dir=str(tmp_path),
        reports=str(tmp_path),
        reports_host=tmp_path,
        ledger_dir=tmp_path,
        tool=str,
    )


def finished(exit_code: int) -> list[ProcessResult]:
    return [
        ProcessResult(
            argv=("pytest",),
            exit_code=exit_code,
            output="",
            output_bytes=0,
            truncated=False,
            timed_out=False,
            duration_s=0.1,
            pid=1,
            run_id="r",
        )
    ]


def test_the_command_writes_a_junit_report_with_locations(tmp_path: Path) -> None:
    [command] = PytestRunner().commands(request(tmp_path))

    assert command.argv[:4] == ("python3", "-m", "pytest", "tests/test_users.py")
    assert ("--junitxml", str(tmp_path / "junit.xml")) == command.argv[5:7]
    assert "junit_family=xunit1" in command.argv


def test_results_come_from_the_junit_report(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)

    results = PytestRunner().parse(request(tmp_path), finished(1))

    assert results.compiled
    assert results.structured
    assert [(t.describe, t.name, t.state, t.line) for t in results.tests] == [
        ("TestCreateUser", "test_inserts", "passed", 5),
        ("TestCreateUser", "test_rejects", "failed", 9),
        (None, "test_later", "skipped", 13),
    ]
    assert results.tests[1].message is not None
    assert "assert 1 == 2" in results.tests[1].message
    assert results.tests[0].module == "tests.test_users"


def test_a_collection_error_is_a_compile_error(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(COLLECTION_ERROR)

    results = PytestRunner().parse(request(tmp_path), finished(2))

    assert not results.compiled
    [error] = results.compile_errors
    assert (error.file, error.line) == ("tests/test_users.py", 3)
    assert "ModuleNotFoundError: No module named 'app'" in error.message


def test_no_report_is_not_compiled(tmp_path: Path) -> None:
    results = PytestRunner().parse(request(tmp_path), finished(4))

    assert not results.compiled
    assert "wrote no JUnit report" in results.compile_errors[0].message


def test_declared_tests_use_the_class_as_describe() -> None:
    source = (
        "def test_top():\n    pass\n\n"
        "class TestCreateUser:\n    def test_inserts(self):\n        pass\n\n"
        "    async def test_async(self):\n        pass\n\n"
        "def test_after():\n    pass\n"
    )

    assert PytestRunner().declared_tests(source) == [
        TestId(None, "test_top"),
        TestId("TestCreateUser", "test_inserts"),
        TestId("TestCreateUser", "test_async"),
        TestId(None, "test_after"),
    ]
