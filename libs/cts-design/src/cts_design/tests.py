"""A test as a design lists it, and the one way two names are compared."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TestId:
    """A test as the design names it: its ``describe`` block (if any) and its name."""

    __test__ = False  # not a pytest test class

    describe: str | None
    name: str

    def label(self) -> str:
        if self.describe is None:
            return f'test "{self.name}"'
        return f'describe "{self.describe}" / test "{self.name}"'


def normalise(text: str) -> str:
    """Case, runs of spaces and backticks do not tell two names apart: people and models
    write ``returns `nil` when ...`` and ``returns nil when ...`` for the same test."""
    return _SPACE.sub(" ", text.replace("`", "")).strip().casefold()
