"""What `cts sessions show` says about a session's inputs and its tests against the design:
the expectation in force, the design found, the rules applied, the warnings, and the newest
alignment with the tests missing from the file and the tests the design does not list."""

from __future__ import annotations

from typing import TypeVar

from rich.console import Console
from rich.text import Text

from cts_contracts import AgentData, Alignment, InitializeData, RunTestsData, StepDataModel
from cts_core import Session

Data = TypeVar("Data", bound=StepDataModel)


def _latest(session: Session, kind: type[Data]) -> Data | None:
    for interaction in reversed(session.interactions):
        data = interaction.result.data if interaction.result else None
        if isinstance(data, kind):
            return data
    return None


def _expectation(session: Session, settled: InitializeData | None) -> str:
    requested = session.request.options.expect.value
    if requested != "auto":
        return requested
    decided = settled.expect if settled else None
    return f"auto -> {decided.value}" if decided else "auto (not decided yet)"


def print_checks(console: Console, session: Session) -> None:
    settled = _latest(session, InitializeData)
    options = session.request.options
    console.print(
        Text(
            f"  expect: {_expectation(session, settled)}  max fix attempts: "
            f"{options.max_fix_attempts}"
        )
    )
    if settled is not None and settled.design_file:
        console.print(
            Text(
                f"  design: {settled.design_file} ({settled.design_format}, "
                f"{settled.test_assertions or 0} test(s) listed)"
            )
        )
    agent = _latest(session, AgentData)
    if agent is not None and agent.rules:
        console.print(Text(f"  rules applied: {', '.join(agent.rules)}"))
    run = _latest(session, RunTestsData)
    if run is not None and run.alignment is not None:
        _print_alignment(console, run.alignment)
    warnings = session.outcome.warnings if session.outcome else []
    if not warnings and settled is not None:
        warnings = settled.warnings
    for warning in warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"))


def _print_alignment(console: Console, alignment: Alignment) -> None:
    missing, extra = alignment.missing, alignment.unexpected
    console.print(
        Text(f"  alignment: {alignment.score:.2f}  missing: {len(missing)}  extra: {len(extra)}")
    )
    for label, tests in (("missing (listed in the design, not in the tests)", missing),
                         ("extra (in the tests, not listed in the design)", extra)):  # fmt: skip
        if tests:
            console.print(Text(f"    {label}:"))
            for test in tests:
                console.print(Text(f"      {test}"), soft_wrap=True)
