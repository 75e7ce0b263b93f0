"""Test framework adapters behind the ``TestRunner`` port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cts_test_runner.runners.base import TestRunner
from cts_test_runner.runners.exunit import ExUnitRunner


def select_runner(
    choice: str, workspace: Path, test_file: str, test_command: Sequence[str] | None = None
) -> TestRunner:
    """``auto``: pytest for a ``.py`` test file or a ``python -m pytest`` command, ExUnit
    otherwise (the CTS default)."""
    python = test_command is not None and test_command[:1] in (["python"], ["python3"])
    if choice == "pytest" or (choice == "auto" and (test_file.endswith(".py") or python)):
        from cts_test_runner.runners.pytest import PytestRunner  # noqa: PLC0415

        return PytestRunner()
    return ExUnitRunner()


__all__ = ["ExUnitRunner", "TestRunner", "select_runner"]
