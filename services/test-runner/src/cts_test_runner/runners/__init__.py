"""Test framework adapters behind the ``TestRunner`` port."""

from __future__ import annotations

from pathlib import Path

from cts_test_runner.runners.base import TestRunner
from cts_test_runner.runners.exunit import ExUnitRunner


def select_runner(choice: str, workspace: Path, test_file: str) -> TestRunner:
    """``auto``: pytest for a ``.py`` test file, ExUnit otherwise (the CTS default)."""
    if choice == "pytest" or (choice == "auto" and test_file.endswith(".py")):
        from cts_test_runner.runners.pytest import PytestRunner  # noqa: PLC0415

        return PytestRunner()
    return ExUnitRunner()


__all__ = ["ExUnitRunner", "TestRunner", "select_runner"]
