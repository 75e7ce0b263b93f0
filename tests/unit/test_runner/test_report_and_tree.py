"""Report size limits and the process-tree walk (pure parts)."""

from __future__ import annotations

from cts_test_runner.process_tree import descendants
from cts_test_runner.report import MAX_REPORT, cut, render_report
from cts_test_runner.runners.base import RunResults
from cts_test_runner.verdict import Finding, Verdict


def test_cut_marks_what_it_drops() -> None:
    assert cut("short", 10) == "short"
    assert cut("x" * 100, 30) == "x" * 16 + "\n… (truncated)"
    assert len(cut("x" * 100, 30)) == 30


def test_the_report_stays_under_the_contract_limit_and_keeps_head_and_tail() -> None:
    verdict = Verdict(False, "1 compile error(s)", [Finding("Compile errors", ["a.exs:1: x"], "")])
    output = "HEAD\n" + "y" * 500_000 + "\nTAIL"

    report = render_report(
        verdict,
        RunResults(compiled=False),
        expect="red",
        alignment=None,
        design_file=None,
        output=output,
    )

    assert len(report) <= MAX_REPORT
    assert report.startswith("# RunTests (red mode): error\n1 compile error(s)")
    assert "## Compile errors\n- a.exs:1: x" in report
    assert "## Output\nHEAD" in report
    assert report.endswith("TAIL")
    assert "characters omitted" in report


def test_huge_findings_are_cut_before_the_output() -> None:
    items = [f"test/a.exs:{n}: " + "z" * 1000 for n in range(200)]
    verdict = Verdict(False, "many", [Finding("Compile errors", items, "")])

    report = render_report(
        verdict,
        RunResults(compiled=False),
        expect="green",
        alignment=None,
        design_file=None,
        output="out",
    )

    assert len(report) <= MAX_REPORT
    assert "(truncated)" in report


def test_descendants_follow_the_whole_tree_only() -> None:
    table = {10: 1, 11: 10, 12: 11, 13: 12, 20: 1, 21: 20, 14: 10}

    assert descendants(10, table) == {11, 12, 13, 14}
    assert descendants(13, table) == set()
