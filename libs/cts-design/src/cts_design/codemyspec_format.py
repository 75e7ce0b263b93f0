"""CodeMySpec's spec format: one ``### function/arity`` section per public function, each with
a ``**Test Assertions**:`` list of plain test names:

    ## Functions

    ### create_user/2

    Creates a user in the scope's account.

    **Test Assertions**:

    - creates a user with valid attributes
    - returns an error changeset when the email is taken

Each item is one test inside ``describe "create_user/2"``. The list may follow the label after
blank lines; it ends at the first line that is neither an item, a blank nor indented text.
"""

from __future__ import annotations

import re

from cts_design.cts_format import FENCE, HEADING
from cts_design.tests import TestId

_LABEL = re.compile(
    r"^\s{0,3}(?:\*\*|__)?\s*test assertions\s*:?\s*(?:\*\*|__)?\s*:?\s*$", re.IGNORECASE
)
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?P<text>\S.*?)\s*$")
_QUOTED_TEST = re.compile(r"^(?:test\s+)?(?:\"(?P<dq>.+)\"|“(?P<cq>.+)”|'(?P<sq>.+)')$")


def _name(text: str) -> str:
    quoted = _QUOTED_TEST.match(text)
    if quoted is None:
        return text
    return next(value for value in quoted.groupdict().values() if value is not None).strip()


def _function(title: str) -> str:
    return title.strip().strip("`").strip()


class _Reader:
    def __init__(self) -> None:
        self.describe: str | None = None
        self.listed: list[TestId] = []
        self.labels = 0
        self.collecting = False
        self.indent: int | None = None

    def heading(self, level: int, title: str) -> None:
        self.collecting = False
        if level == 3:
            self.describe = _function(title)
        elif level < 3:
            self.describe = None

    def line(self, line: str) -> None:
        if _LABEL.match(line):
            self.labels += 1
            self.collecting, self.indent = True, None
            return
        if not self.collecting or not line.strip():
            return
        item = _ITEM.match(line)
        if item is None:
            # Indented text continues the item above; anything else ends the list.
            self.collecting = line.startswith((" ", "\t")) and self.indent is not None
            return
        indent = len(item["indent"].expandtabs(4))
        if self.indent is None:
            self.indent = indent
        if indent <= self.indent:
            self.listed.append(TestId(self.describe, _name(item["text"])))


def function_tests(markdown: str) -> list[TestId] | None:
    """Every listed test, in order; ``None`` when no section has a Test Assertions label."""
    reader = _Reader()
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            reader.collecting = False
            continue
        if in_fence:
            continue
        heading = HEADING.match(line)
        if heading:
            reader.heading(len(heading["level"]), heading["title"])
        else:
            reader.line(line)
    return reader.listed if reader.labels else None
