"""From what the loop did to the step's answer: ok, error (the workflow reacts) or transient
(worth a retry). Usage travels with every answer, failures included: all spend is visible."""

from __future__ import annotations

from cts_agent_runner.loop import LoopResult
from cts_contracts import AgentData, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome

STOPS = {
    "done": "the model ended its turn",
    "refusal": "the model refused",
    "max_turns": "the turn limit was reached",
    "token_budget": "the step's token budget was spent",
    "deadline": "the step's time limit was reached",
}


def _spend(data: AgentData) -> str:
    return f"{data.turns} turn(s), ${data.usage.cost_usd:.4f}"


def decide(command: StepRequestedData, result: LoopResult, data: AgentData) -> StepOutcome:
    if result.failure is not None:
        status = ResultStatus.TRANSIENT if result.failure.transient else ResultStatus.ERROR
        summary = "model call failed" + (" (temporary)" if result.failure.transient else "")
        return StepOutcome(status, summary, result.failure.message, data)
    why = STOPS.get(result.stopped, result.stopped)
    written = data.files_written
    test_file = command.component.test_file
    if command.step is Step.GENERATE_TESTS_AND_FIXTURES:
        if test_file not in written:
            return StepOutcome.error(
                "no test file written",
                f"no test file written: {why} without writing {test_file} "
                f"(wrote: {', '.join(written) or 'nothing'})",
                data,
            )
        fixture_note = (
            "" if command.component.fixture_file in written else "; no fixture file written"
        )
        return StepOutcome.ok(f"wrote {', '.join(written)} ({_spend(data)}){fixture_note}", data)
    if not written:
        return StepOutcome.error(
            "no file written", f"no file written: {why} without changing any file", data
        )
    return StepOutcome.ok(f"rewrote {', '.join(written)} ({_spend(data)})", data)
