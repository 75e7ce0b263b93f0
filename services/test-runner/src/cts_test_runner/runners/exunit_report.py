"""The formatter's report, read back from its channel and checked against the runner's own view.

The report is written by code in the same VM as the tests, so it is the tests' own account of
themselves. What the runner can check without trusting it: the suite finished (its last line
came), the VM left through ExUnit's normal exit (the ``exit`` line, which ``System.halt`` in a
test skips), the exit status agrees with the results (``mix test`` exits non-zero exactly when
a test failed), the counts agree with the tests listed, and the CLI formatter's summary line in
the output agrees too. Any disagreement makes the run an error, never ok.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

STATES = ("passed", "failed", "skipped", "excluded", "invalid")
_SUMMARY = re.compile(
    r"^(?:(?P<doctests>\d+) doctests?, )?(?P<tests>\d+) tests?, (?P<failures>\d+) failures?",
    re.MULTILINE,
)


@dataclass
class StreamedReport:
    tests: list[dict[str, Any]] = field(default_factory=list)
    module_failures: list[dict[str, Any]] = field(default_factory=list)
    began: bool = False
    suite: dict[str, Any] | None = None
    exit_status: int | None = None
    exits: int = 0
    malformed: int = 0

    @property
    def ran(self) -> bool:
        """Tests ran, so every file compiled (``mix test`` starts the suite while it still
        loads the test files: a compile error ends it after ``suite_started``, before any test)."""
        return bool(self.tests or self.module_failures or self.suite)


def parse_stream(data: bytes) -> StreamedReport:
    report = StreamedReport()
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            report.malformed += 1
            continue
        if not isinstance(event, dict):
            report.malformed += 1
            continue
        kind = event.get("event")
        if kind == "suite_started":
            report.began = True
        elif kind == "test":
            report.tests.append(event)
        elif kind == "module_failed":
            report.module_failures.append(event)
        elif kind == "suite_finished" and report.suite is None:
            report.suite = event
        elif kind == "exit":  # more than one is a forgery: counted, judged below
            report.exits += 1
            report.exit_status = event.get("status") if isinstance(event.get("status"), int) else -1
        else:
            report.malformed += 1
    return report


def integrity_problems(report: StreamedReport, *, exit_code: int | None, output: str) -> list[str]:
    """Why the report cannot be believed; empty when every check agrees."""
    if report.suite is None:
        return [
            f"the test run ended (exit code {exit_code}) before its suite finished: a test "
            "stopped the VM (System.halt, :init.stop) or killed it"
        ]
    problems = [f"{report.malformed} line(s) of the report are not the formatter's"] * bool(
        report.malformed
    )
    counts = {state: _int(report.suite.get(state)) for state in STATES}
    total = _int(report.suite.get("total"))
    if not report.suite.get("truncated"):
        listed = {state: sum(t.get("state") == state for t in report.tests) for state in STATES}
        if listed != counts or len(report.tests) != total:
            problems.append(f"the report lists {len(report.tests)} test(s) but counts {total}")
    if report.exits != 1 or report.exit_status is None:
        problems.append(
            "the VM did not leave through ExUnit's normal exit (a test called System.halt?)"
        )
    elif report.exit_status != exit_code:
        problems.append(
            f"the report says exit {report.exit_status}, the process exited {exit_code}"
        )
    failing = counts["failed"] + counts["invalid"]
    if (failing > 0) != (exit_code not in (0, None)):
        problems.append(
            f"{failing} test(s) failed but `mix test` exited with code {exit_code}: the results "
            "and the exit status disagree"
        )
    summary = _cli_summary(output)
    if summary is not None and summary != (total, counts["failed"]):
        problems.append(
            f"the printed summary ({summary[0]} tests, {summary[1]} failures) differs from the "
            f"report ({total} tests, {counts['failed']} failures)"
        )
    return problems


def _cli_summary(output: str) -> tuple[int, int] | None:
    """ExUnit's own last summary line, ``[N doctests, ]M tests, F failures``."""
    found = list(_SUMMARY.finditer(output))
    if not found:
        return None
    last = found[-1]
    return int(last["doctests"] or 0) + int(last["tests"]), int(last["failures"])


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
