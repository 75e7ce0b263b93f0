"""CodeMySpec specs: a describe per ``### function/arity`` section, a test per item of its
``**Test Assertions**:`` list; and which format a document is in."""

from __future__ import annotations

from cts_design import TestId, format_of, read_assertions
from cts_design.codemyspec_format import function_tests

SPEC = """\
# MyApp.Catalog.ProductRepository

Data access for products.

## Functions

### list_products/1

Returns the scope's products.

```elixir
@spec list_products(Scope.t()) :: [Product.t()]
```

**Process**:
1. Query products of the scope
2. Return them

**Test Assertions**:

- returns the scope's products
- returns an empty list when there are none

### get_product!/2

```elixir
# a comment in a fence is not a heading
@spec get_product!(Scope.t(), integer()) :: Product.t()
```

**Test Assertions:**
- returns the product
- raises `Ecto.NoResultsError` for another scope's product
  (the lookup is scoped)
  - a nested note is not a test

### internal_helper/0

No assertions for this one.

## Dependencies

- MyApp.Repo
"""


def test_each_function_section_is_a_describe_and_each_item_a_test() -> None:
    assert function_tests(SPEC) == [
        TestId("list_products/1", "returns the scope's products"),
        TestId("list_products/1", "returns an empty list when there are none"),
        TestId("get_product!/2", "returns the product"),
        TestId("get_product!/2", "raises `Ecto.NoResultsError` for another scope's product"),
    ]


def test_the_process_list_and_the_dependencies_are_not_tests() -> None:
    names = [t.name for t in function_tests(SPEC) or []]
    assert not any("Query" in n or "MyApp.Repo" in n for n in names)


def test_quoted_items_and_backticked_headings_are_unwrapped() -> None:
    spec = '### `create/1`\n\n**Test Assertions**:\n- test "creates it"\n- "refuses junk"\n'
    assert function_tests(spec) == [
        TestId("create/1", "creates it"),
        TestId("create/1", "refuses junk"),
    ]


def test_a_list_ends_at_the_first_line_that_is_not_part_of_it() -> None:
    spec = "### a/0\n**Test Assertions**:\n- one\n\nSome prose.\n- not a test\n"
    assert function_tests(spec) == [TestId("a/0", "one")]


def test_no_label_is_none_and_a_label_without_items_is_empty() -> None:
    assert function_tests("# X\n\n### a/0\n\nText.\n") is None
    assert function_tests("### a/0\n\n**Test Assertions**:\n\n### b/0\n") == []


def test_the_format_is_told_by_the_content_and_a_cts_section_wins() -> None:
    found = read_assertions(SPEC)
    assert found is not None
    assert found.format == "codemyspec"
    both = SPEC + '\n## Test Assertions\n\n- describe "x/0"\n  - test "y"\n'
    found = read_assertions(both)
    assert found is not None
    assert (found.format, found.tests) == ("cts", [TestId("x/0", "y")])
    assert read_assertions("# Nothing listed\n") is None


def test_a_document_without_assertions_is_named_by_its_path() -> None:
    assert format_of("docs/spec/my_app/thing.spec.md", None) == "codemyspec"
    assert format_of("docs/design/my_app/thing.md", None) == "cts"
