"""Alignment scored both ways: missing tests always, extra tests when they count."""

from __future__ import annotations

import pytest

from cts_design import TestId, align, counts_extra_by_default

LISTED = [TestId("create/1", "creates it"), TestId("create/1", "refuses junk"),
          TestId("get/1", "finds it"), TestId("get/1", "misses")]  # fmt: skip


def test_missing_tests_lower_the_score() -> None:
    result = align(LISTED, LISTED[:3])
    assert (result.score, result.missing, result.unexpected) == (0.75, [LISTED[3]], [])


def test_extra_tests_are_only_reported_unless_they_count() -> None:
    present = [*LISTED, TestId("get/1", "an invented case")]
    assert align(LISTED, present).score == 1.0
    counted = align(LISTED, present, counts_extra=True)
    assert counted.score == 0.8  # 4 matched of 4 listed + 1 extra
    assert counted.unexpected == [TestId("get/1", "an invented case")]


def test_missing_and_extra_together() -> None:
    present = [*LISTED[:3], TestId("get/1", "renamed misses")]
    result = align(LISTED, present, counts_extra=True)
    assert result.score == 0.6  # 3 / (3 matched + 1 missing + 1 extra)


def test_names_compare_ignoring_case_spacing_and_backticks() -> None:
    listed = [TestId("get/1", "raises `Ecto.NoResultsError`  for others")]
    present = [TestId("get/1", "Raises Ecto.NoResultsError for others")]
    assert align(listed, present, counts_extra=True).score == 1.0


@pytest.mark.parametrize(("design_format", "score"), [("codemyspec", 1.0), ("cts", 0.0)])
def test_codemyspec_describes_may_carry_a_detail(design_format: str, score: float) -> None:
    listed = [TestId("create/1", "creates it")]
    present = [TestId("create/1 - errors", "creates it")]
    assert align(listed, present, counts_extra=True, design_format=design_format).score == score  # type: ignore[arg-type]


def test_nothing_listed_and_nothing_present_is_aligned() -> None:
    assert align([], [], counts_extra=True).score == 1.0


def test_extra_tests_count_by_default_for_codemyspec_only() -> None:
    assert counts_extra_by_default("codemyspec") is True
    assert counts_extra_by_default("cts") is False
