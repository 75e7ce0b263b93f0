"""The ``describe``/``test`` names an ExUnit file declares, read from its source.

Used when the file did not compile (no test ran, so the JSON report has no names). ExUnit
forbids nested ``describe`` blocks, so a ``describe`` lasts until the ``end`` at its own
indentation or the next ``describe``.
"""

from __future__ import annotations

import re

from cts_test_runner.runners.base import TestId

_STRING = r'"((?:[^"\\]|\\.)*)"'
_DESCRIBE = re.compile(r"^(?P<indent>\s*)describe\s*\(?\s*" + _STRING)
_TEST = re.compile(r"^\s*test\s*\(?\s*" + _STRING)
_END = re.compile(r"^(?P<indent>\s*)end\b")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def declared_exunit_tests(source: str) -> list[TestId]:
    tests: list[TestId] = []
    describe: str | None = None
    describe_indent = ""
    for line in source.splitlines():
        if match := _DESCRIBE.match(line):
            describe, describe_indent = _unescape(match.group(2)), match["indent"]
        elif (match := _TEST.match(line)) is not None:
            tests.append(TestId(describe, _unescape(match.group(1))))
        elif (
            describe is not None
            and (end := _END.match(line)) is not None
            and end["indent"] == describe_indent
        ):
            describe = None
    return tests
