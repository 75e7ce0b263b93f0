"""CTS's own Test Assertions section, read leniently, and the alignment score."""

from __future__ import annotations

from cts_design import TestId, align
from cts_design.cts_format import section_tests as design_assertions

CANONICAL = """\
# MyApp.Accounts.UserRepository

## Test Assertions

- describe "create_user/1"
  - test "inserts a user with valid attributes"
  - test "returns an error for a malformed email"
- describe "get_user/1"
  - test "returns the user by id"

## Dependencies

- describe "not/0" is outside the section
  - test "must not be read"
"""

MESSY = """\
Intro text.

### test assertions:

```elixir
# a comment inside a fence is not a heading
describe "create_user/1" do
    test   "inserts a   user with VALID attributes" do
```
* `describe "get_user/1"`
    1. test “returns the user by id”
    2. [x] test 'doesn't crash on nil'
Some prose that mentions a test "in passing" does not count.

# Next top-level heading
- test "outside"
"""


def test_the_canonical_format() -> None:
    assert design_assertions(CANONICAL) == [
        TestId("create_user/1", "inserts a user with valid attributes"),
        TestId("create_user/1", "returns an error for a malformed email"),
        TestId("get_user/1", "returns the user by id"),
    ]


def test_headings_bullets_fences_quotes_and_indentation_may_vary() -> None:
    assert design_assertions(MESSY) == [
        TestId("create_user/1", "inserts a   user with VALID attributes"),
        TestId("get_user/1", "returns the user by id"),
        TestId("get_user/1", "doesn't crash on nil"),
    ]


def test_no_section_is_none_and_an_empty_section_is_empty() -> None:
    assert design_assertions("# Design\n\nNo assertions here.\n") is None
    assert design_assertions("## Test Assertions\n\nTBD\n\n## Next\n") == []


def test_tests_outside_a_describe_have_none() -> None:
    listed = design_assertions('## Test Assertions\n- test "top level"\n')

    assert listed == [TestId(None, "top level")]


def test_alignment_compares_normalised_pairs() -> None:
    listed = [TestId("create_user/1", "Inserts  a user"), TestId("get_user/1", "returns it")]
    present = [TestId("create_user/1", "inserts a user"), TestId("get_user/1", "extra")]

    result = align(listed, present)

    assert result.score == 0.5
    assert result.missing == [TestId("get_user/1", "returns it")]
    assert result.unexpected == [TestId("get_user/1", "extra")]
    assert result.listed == 2


def test_the_same_test_in_another_describe_does_not_count() -> None:
    result = align([TestId("a/1", "works")], [TestId("b/1", "works")])

    assert result.score == 0.0


def test_nothing_listed_scores_one() -> None:
    assert align([], [TestId(None, "x")]).score == 1.0
