"""Design documents: where they are, CTS's and CodeMySpec's formats, their Test Assertions, and
how well a test file matches them. Pure: no I/O."""

from cts_design.alignment import AlignmentResult, align, counts_extra_by_default
from cts_design.documents import DesignFormat, TestAssertions, format_of, read_assertions
from cts_design.tests import TestId, normalise

__all__ = [
    "AlignmentResult",
    "DesignFormat",
    "TestAssertions",
    "TestId",
    "align",
    "counts_extra_by_default",
    "format_of",
    "normalise",
    "read_assertions",
]
