"""Spec-to-test alignment: the tests a design lists against the tests a file declares.

Missing tests always lower the score. Extra tests (declared, not listed) lower it too when
``counts_extra`` is on, as CodeMySpec scores it: matched / (matched + missing + extra);
otherwise the score is matched / listed and extras are only reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cts_design.documents import DesignFormat
from cts_design.tests import TestId, normalise

DESCRIBE_DETAIL = " - "
"""CodeMySpec groups ``describe "create/1 - errors"`` under ``create/1``."""


@dataclass(frozen=True)
class AlignmentResult:
    score: float
    missing: list[TestId]
    unexpected: list[TestId]
    listed: int
    counts_extra: bool = False


def counts_extra_by_default(design_format: DesignFormat) -> bool:
    return design_format == "codemyspec"


def _key(test: TestId, *, detail: bool) -> tuple[str, str]:
    describe = test.describe or ""
    if detail:
        describe = describe.split(DESCRIBE_DETAIL, 1)[0]
    return (normalise(describe), normalise(test.name))


def align(
    listed: Iterable[TestId],
    present: Iterable[TestId],
    *,
    counts_extra: bool = False,
    design_format: DesignFormat = "cts",
) -> AlignmentResult:
    detail = design_format == "codemyspec"
    wanted = {_key(t, detail=False): t for t in listed}
    have = {_key(t, detail=detail): t for t in present}
    missing = [t for k, t in wanted.items() if k not in have]
    unexpected = [t for k, t in have.items() if k not in wanted]
    matched = len(wanted) - len(missing)
    whole = len(wanted) + (len(unexpected) if counts_extra else 0)
    score = 1.0 if whole == 0 else matched / whole
    return AlignmentResult(round(score, 4), missing, unexpected, len(wanted), counts_extra)
