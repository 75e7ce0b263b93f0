"""Warnings of files Mix did not recompile are replayed while the file is unchanged."""

from __future__ import annotations

from pathlib import Path

from cts_contracts import Diagnostic
from cts_test_runner.runners.warning_ledger import WarningLedger

FIXTURE = "test/support/fixtures/user_fixtures.ex"


def warning(line: int = 4, file: str = FIXTURE) -> Diagnostic:
    return Diagnostic(file=file, line=line, message='variable "x" is unused', severity="warning")


def ledger(tmp_path: Path) -> WarningLedger:
    return WarningLedger(tmp_path / "build", tmp_path / "ws")


def setup_files(tmp_path: Path, text: str = "defmodule F do end") -> Path:
    (tmp_path / "build").mkdir(exist_ok=True)
    target = tmp_path / "ws" / FIXTURE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_a_warning_is_replayed_while_the_file_is_unchanged(tmp_path: Path) -> None:
    setup_files(tmp_path)
    assert ledger(tmp_path).reconcile([FIXTURE], [warning()]) == [warning()]

    assert ledger(tmp_path).reconcile([], []) == [warning()]
    assert ledger(tmp_path).reconcile(["lib/other.ex"], []) == [warning()]


def test_a_changed_file_forgets_its_old_warnings(tmp_path: Path) -> None:
    target = setup_files(tmp_path)
    ledger(tmp_path).reconcile([FIXTURE], [warning()])
    target.write_text("defmodule F do\n  # fixed\nend")

    assert ledger(tmp_path).reconcile([], []) == []


def test_a_recompiled_file_without_warnings_is_cleared(tmp_path: Path) -> None:
    setup_files(tmp_path)
    ledger(tmp_path).reconcile([FIXTURE], [warning()])

    assert ledger(tmp_path).reconcile([FIXTURE], []) == []
    assert ledger(tmp_path).reconcile([], []) == []


def test_fresh_warnings_replace_the_recorded_ones(tmp_path: Path) -> None:
    setup_files(tmp_path)
    ledger(tmp_path).reconcile([FIXTURE], [warning(4)])

    assert ledger(tmp_path).reconcile([], [warning(9)]) == [warning(9)]
    assert ledger(tmp_path).reconcile([], []) == [warning(9)]


def test_paths_outside_the_workspace_are_not_recorded(tmp_path: Path) -> None:
    setup_files(tmp_path)
    (tmp_path / "secret.ex").write_text("x")
    outside = warning(file="../secret.ex")

    assert ledger(tmp_path).reconcile([], [outside]) == [outside]
    assert ledger(tmp_path).reconcile([], []) == []


def test_a_corrupt_ledger_starts_empty(tmp_path: Path) -> None:
    setup_files(tmp_path)
    (tmp_path / "build" / "cts-warnings.json").write_text("{not json")

    assert ledger(tmp_path).reconcile([], []) == []
