"""pytest through its JUnit XML report, so Python projects can be served by the same step."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from cts_contracts import Diagnostic
from cts_test_runner.process import ProcessResult
from cts_test_runner.runners.base import Command, RanTest, RunRequest, RunResults, TestId, TestState

REPORT_NAME = "junit.xml"
MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_MESSAGE = 4_000
_CLASS = re.compile(r"^(?P<indent>\s*)class\s+(?P<name>Test\w*)")
_FUNCTION = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>test\w*)")
_LOCATION = re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+)", re.MULTILINE)


class PytestRunner:
    name = "pytest"

    def commands(self, request: RunRequest) -> list[Command]:
        # xunit1 is the JUnit family that records each test's file and line.
        junit = (
            "--junitxml",
            f"{request.reports}/{REPORT_NAME}",
            "-o",
            "junit_family=xunit1",
            "-p",
            "no:cacheprovider",
        )
        base = request.test_command or ("python3", "-m", "pytest", request.test_file, "-q")
        return [Command((*base, *junit), {"PYTHONDONTWRITEBYTECODE": "1"}, "pytest")]

    def parse(self, request: RunRequest, runs: list[ProcessResult]) -> RunResults:
        root = _read_junit(request.reports_host / REPORT_NAME)
        if root is None:
            message = f"pytest exited with code {runs[-1].exit_code} and wrote no JUnit report"
            return RunResults(compiled=False, compile_errors=[Diagnostic(message=message)])
        results = RunResults(compiled=True, structured=True)
        for case in root.iter("testcase"):
            failure = case.find("failure")
            error = case.find("error")
            if error is not None and error.get("message", "").startswith("collection failure"):
                results.compile_errors.append(_collection_error(case, error))
                continue
            results.tests.append(_ran_test(case, failure, error))
        results.compiled = not results.compile_errors
        return results

    def declared_tests(self, source: str) -> list[TestId]:
        """``class TestX`` plays the part of ``describe``; ``def test_y`` the test."""
        tests: list[TestId] = []
        current: tuple[str, int] | None = None
        for line in source.splitlines():
            if match := _CLASS.match(line):
                current = (match["name"], len(match["indent"]))
            elif match := _FUNCTION.match(line):
                indent = len(match["indent"])
                inside_class = current is not None and indent > current[1]
                tests.append(
                    TestId(current[0] if current and inside_class else None, match["name"])
                )
        return tests


def _read_junit(path: Path) -> ET.Element | None:
    """The report is written by code under test, so it is size-capped before parsing; the
    bundled expat (>= 2.4.1) refuses entity-expansion bombs."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        return ET.fromstring(path.read_bytes())  # noqa: S314 - capped, expat >= 2.4.1
    except (OSError, ET.ParseError):
        return None


def _collection_error(case: ET.Element, error: ET.Element) -> Diagnostic:
    text = (error.text or error.get("message") or "").strip()
    where = _LOCATION.findall(text)
    file, line = where[-1] if where else (None, None)
    last = text.splitlines()[-1] if text else "collection failure"
    message = f"{last} (collecting {case.get('name', '?')})"
    return Diagnostic(file=file, line=int(line) if line else None, message=message[:MAX_MESSAGE])


def _ran_test(case: ET.Element, failure: ET.Element | None, error: ET.Element | None) -> RanTest:
    state: TestState = "passed"
    problem = failure if failure is not None else error
    if problem is not None:
        state = "failed"
    elif case.find("skipped") is not None:
        state = "skipped"
        problem = case.find("skipped")
    classname = case.get("classname", "")
    module, _, cls = classname.rpartition(".") if classname else ("", "", "")
    describe = cls if cls.startswith("Test") else None
    line = case.get("line")
    message = None
    if problem is not None:
        message = ((problem.get("message") or "") + "\n" + (problem.text or "")).strip()
    return RanTest(
        module=(module if describe else classname) or "?",
        describe=describe,
        name=case.get("name", ""),
        state=state,
        file=case.get("file"),
        line=int(line) + 1 if line and line.isdigit() else None,
        message=message[:MAX_MESSAGE] if message else None,
    )
