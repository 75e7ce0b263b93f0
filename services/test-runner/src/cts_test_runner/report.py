"""The text the agent sees in the Fix step, and the shorter error message on the event.

Findings come first (what to fix, with file:line); then the counts, the warnings that did not
count, alignment details, and the end of the raw output for anything the parsers missed.
"""

from __future__ import annotations

from cts_contracts import Diagnostic
from cts_design import AlignmentResult
from cts_test_runner.runners.base import RanTest, RunResults
from cts_test_runner.verdict import Finding, Verdict, where

MAX_REPORT = 60_000
MAX_ERROR_MESSAGE = 4_000
OUTPUT_HEAD = 4_000


def cut(text: str, limit: int, *, marker: str = "\n… (truncated)") -> str:
    return text if len(text) <= limit else text[: max(limit - len(marker), 0)] + marker


def render_findings(findings: list[Finding]) -> str:
    blocks = []
    for finding in findings:
        items = "\n".join(f"- {item}" for item in finding.items)
        blocks.append(f"## {finding.title}\n{items}")
    return "\n\n".join(blocks)


def error_message(verdict: Verdict) -> str:
    return cut(f"{verdict.summary}\n\n{render_findings(verdict.findings)}", MAX_ERROR_MESSAGE)


def _counts(tests: list[RanTest], total: int | None) -> str:
    def count(state: str) -> int:
        return sum(1 for t in tests if t.state == state)

    n = total if total is not None else len(tests)
    return (
        f"{n} test(s): {count('passed')} passed, {count('failed')} failed, "
        f"{count('skipped') + count('excluded')} skipped, {count('invalid')} invalid"
    )


def _other_warnings(warnings: list[Diagnostic]) -> str:
    quiet = [w for w in warnings if w.severity == "warning"]
    if not quiet:
        return ""
    items = "\n".join(f"- {where(w)}: {w.message}" for w in quiet)
    return f"## Other compiler warnings (not counted as errors)\n{items}"


def _alignment(alignment: AlignmentResult | None, design_file: str | None) -> str:
    if alignment is None:
        if design_file is None:
            return ""
        return f"## Alignment\n{design_file} lists no Test Assertions; not checked."
    present = alignment.listed - len(alignment.missing)
    extra = " (they count against the score)" if alignment.counts_extra else ""
    return (
        f"## Alignment with {design_file}\n"
        f"score {alignment.score:.2f}: {present} of {alignment.listed} listed test(s) present, "
        f"{len(alignment.unexpected)} not listed{extra}"
    )


def render_report(
    verdict: Verdict,
    results: RunResults,
    *,
    expect: str,
    alignment: AlignmentResult | None,
    design_file: str | None,
    output: str,
) -> str:
    status = "ok" if verdict.ok else "error"
    parts = [f"# RunTests ({expect} mode): {status}\n{verdict.summary}"]
    if verdict.findings:
        parts.append(render_findings(verdict.findings))
    if results.structured:
        parts.append(f"## Results\n{_counts(results.tests, results.total)}")
    parts += [f"## Note\n{note}" for note in results.notes]
    parts += [_other_warnings(verdict.warnings), _alignment(alignment, design_file)]
    body = cut("\n\n".join(p for p in parts if p), MAX_REPORT - 2_000)
    room = MAX_REPORT - len(body) - 100
    if output.strip() and room > 500:
        body += "\n\n## Output\n" + _excerpt(output, room)
    return body


def _excerpt(output: str, room: int) -> str:
    """Head (compiler messages come first) and tail (the summary comes last)."""
    if len(output) <= room:
        return output
    head = output[: min(OUTPUT_HEAD, room // 4)]
    tail = output[-(room - len(head) - 60) :]
    return f"{head}\n[... {len(output) - len(head) - len(tail)} characters omitted ...]\n{tail}"
