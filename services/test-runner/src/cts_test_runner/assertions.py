"""Spec-to-test alignment: the design document's ``## Test Assertions`` against the tests the
generated file declares.

The section is read leniently (any heading level, bullets or not, code fences, any
indentation, straight or curly quotes, backticks) because people and models write it:

    ## Test Assertions

    - describe "create_user/1"
      - test "inserts a user with valid attributes"

It ends at the next heading of the same or a higher level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cts_test_runner.runners.base import TestId

_HEADING = re.compile(r"^\s{0,3}(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
_PREFIX = r"^(?:\s|[-*+>`]|\d+[.)]|\[[ xX]?\])*"
"""Bullets, numbering, block quotes, check boxes, backticks: whatever precedes the keyword."""
_QUOTED = (
    r"\s*:?\s*\(?\s*(?:\"(?P<dq>[^\"]+)\"|“(?P<cq>[^”]+)”|‘(?P<sq>[^’]+)’|`(?P<bq>[^`]+)`"
    r"|'(?P<aq>.+?)'(?!\w))"
)
_DESCRIBE = re.compile(_PREFIX + r"describe\b" + _QUOTED)
_TEST = re.compile(_PREFIX + r"test\b" + _QUOTED)
_SPACE = re.compile(r"\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _key(test: TestId) -> tuple[str, str]:
    return (normalise(test.describe or ""), normalise(test.name))


def _text(match: re.Match[str]) -> str:
    return next(value for value in match.groupdict().values() if value is not None).strip()


def design_assertions(markdown: str) -> list[TestId] | None:
    """The listed tests, in order; ``None`` when the document has no such section."""
    level: int | None = None
    describe: str | None = None
    listed: list[TestId] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        # Inside a code fence "# ..." is an Elixir comment, not a heading.
        heading = None if in_fence else _HEADING.match(line)
        if heading and level is None:
            if normalise(heading["title"]).rstrip(":") == "test assertions":
                level = len(heading["level"])
            continue
        if level is None:
            continue
        if heading and len(heading["level"]) <= level:
            break
        if match := _DESCRIBE.match(line):
            describe = _text(match)
        elif match := _TEST.match(line):
            listed.append(TestId(describe, _text(match)))
    return listed if level is not None else None


@dataclass(frozen=True)
class AlignmentResult:
    score: float
    missing: list[TestId]
    unexpected: list[TestId]
    listed: int


def align(listed: Iterable[TestId], present: Iterable[TestId]) -> AlignmentResult:
    """Score = share of listed tests present; extra tests are reported, not scored."""
    wanted = {_key(t): t for t in listed}
    have = {_key(t): t for t in present}
    missing = [t for k, t in wanted.items() if k not in have]
    unexpected = [t for k, t in have.items() if k not in wanted]
    score = 1.0 if not wanted else (len(wanted) - len(missing)) / len(wanted)
    return AlignmentResult(round(score, 4), missing, unexpected, len(wanted))
