"""Test names read from ExUnit source when the file does not compile."""

from __future__ import annotations

from cts_test_runner.runners.base import TestId
from cts_test_runner.runners.exunit_source import declared_exunit_tests

SOURCE = """defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case

  test "before any describe" do
  end

  describe "create_user/1" do
    setup do
      :ok
    end

    test "inserts a \\"quoted\\" user", %{conn: conn} do
      assert (1
    end
  end

  test "after the describe", context do
  end

  describe("get_user/1") do
    test("returns the user") do
    end
  end
end
"""


def test_describe_and_test_names_are_read_from_source() -> None:
    assert declared_exunit_tests(SOURCE) == [
        TestId(None, "before any describe"),
        TestId("create_user/1", 'inserts a "quoted" user'),
        TestId(None, "after the describe"),
        TestId("get_user/1", "returns the user"),
    ]


def test_a_file_without_tests_declares_none() -> None:
    assert declared_exunit_tests("defmodule X do\nend\n") == []
