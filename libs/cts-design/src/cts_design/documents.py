"""Which format a design document is in, and the tests its Test Assertions list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cts_design.codemyspec_format import function_tests
from cts_design.cts_format import section_tests
from cts_design.tests import TestId

DesignFormat = Literal["cts", "codemyspec"]


@dataclass(frozen=True)
class TestAssertions:
    __test__ = False  # not a pytest test class

    format: DesignFormat
    tests: list[TestId]


def read_assertions(markdown: str) -> TestAssertions | None:
    """The document's listed tests; ``None`` when it has no Test Assertions at all.

    A ``## Test Assertions`` section (CTS) wins over per-function ``**Test Assertions**:``
    lists (CodeMySpec), so a document that has both is read the way CTS always read it.
    """
    listed = section_tests(markdown)
    if listed is not None:
        return TestAssertions("cts", listed)
    listed = function_tests(markdown)
    if listed is not None:
        return TestAssertions("codemyspec", listed)
    return None


def format_of(path: str, found: TestAssertions | None) -> DesignFormat:
    """A document without assertions is named by where it lives: CodeMySpec's are ``.spec.md``."""
    if found is not None:
        return found.format
    return "codemyspec" if path.endswith(".spec.md") else "cts"
