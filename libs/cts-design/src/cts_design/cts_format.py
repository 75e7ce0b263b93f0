"""CTS's own format: one ``## Test Assertions`` section of ``describe``/``test`` items.

Read leniently (any heading level, bullets or not, code fences, any indentation, straight or
curly quotes, backticks) because people and models write it:

    ## Test Assertions

    - describe "create_user/1"
      - test "inserts a user with valid attributes"

The section ends at the next heading of the same or a higher level.
"""

from __future__ import annotations

import re

from cts_design.tests import TestId, normalise

HEADING = re.compile(r"^\s{0,3}(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
_PREFIX = r"^(?:\s|[-*+>`]|\d+[.)]|\[[ xX]?\])*"
"""Bullets, numbering, block quotes, check boxes, backticks: whatever precedes the keyword."""
_QUOTED = (
    r"\s*:?\s*\(?\s*(?:\"(?P<dq>[^\"]+)\"|“(?P<cq>[^”]+)”|‘(?P<sq>[^’]+)’|`(?P<bq>[^`]+)`"
    r"|'(?P<aq>.+?)'(?!\w))"
)
_DESCRIBE = re.compile(_PREFIX + r"describe\b" + _QUOTED)
_TEST = re.compile(_PREFIX + r"test\b" + _QUOTED)


def _text(match: re.Match[str]) -> str:
    return next(value for value in match.groupdict().values() if value is not None).strip()


def section_tests(markdown: str) -> list[TestId] | None:
    """The listed tests, in order; ``None`` when the document has no such section."""
    level: int | None = None
    describe: str | None = None
    listed: list[TestId] = []
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        # Inside a code fence "# ..." is an Elixir comment, not a heading.
        heading = None if in_fence else HEADING.match(line)
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
