"""From what the loop did to the step's answer: ok, error (the workflow reacts) or transient
(worth a retry). Only a model that ended its turn can be ok: a refusal, a bound reached or a stop
nobody planned for is an error, whatever files were written. Usage travels with every answer,
failures included: all spend is visible."""

from __future__ import annotations

from cts_agent_runner.loop import MAX_CUTS_IN_A_ROW, LoopResult
from cts_contracts import AgentData, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_runtime.executor import StepOutcome

STOPS = {
    "done": "the model ended its turn",
    "refusal": "the model refused",
    "max_turns": "the turn limit was reached",
    "budget": "the session's cost budget is spent",
    "deadline": "the step's time limit was reached",
    "max_tokens": "the model's replies kept reaching the output limit",
    "context_window": "the conversation no longer fits the model's context window, even after "
    "compacting old tool results",
    "unexpected_stop": "the model stopped for a reason the agent does not handle",
}


def _spend(data: AgentData) -> str:
    return f"{data.turns} turn(s), ${data.usage.cost_usd:.4f}"


def why(result: LoopResult, *, budget_usd: float | None = None) -> str:
    text = STOPS.get(result.stopped, result.stopped)
    if result.stopped == "budget" and budget_usd is not None:
        return f"{text} (${budget_usd:.2f} allowed for this session)"
    if result.stopped == "max_tokens" and result.detail:
        return f"{text} (max_tokens={result.detail}, {MAX_CUTS_IN_A_ROW} replies in a row)"
    if result.detail:
        return f"{text}: {result.detail}"
    return text


def decide(
    command: StepRequestedData,
    result: LoopResult,
    data: AgentData,
    *,
    budget_usd: float | None = None,
) -> StepOutcome:
    if result.failure is not None:
        status = ResultStatus.TRANSIENT if result.failure.transient else ResultStatus.ERROR
        summary = "model call failed" + (" (temporary)" if result.failure.transient else "")
        return StepOutcome(status, summary, result.failure.message, data)
    reason = why(result, budget_usd=budget_usd)
    if result.stopped != "done":
        return StepOutcome.error(STOPS.get(result.stopped, "stopped"),
                                 f"{reason} ({_spend(data)})", data)  # fmt: skip
    written = data.files_written
    test_file = command.component.test_file
    if command.step is Step.GENERATE_TESTS_AND_FIXTURES:
        if test_file not in written:
            return StepOutcome.error(
                "no test file written",
                f"no test file written: {reason} without writing {test_file} "
                f"(wrote: {', '.join(written) or 'nothing'})",
                data,
            )
        fixture_note = (
            "" if command.component.fixture_file in written else "; no fixture file written"
        )
        return StepOutcome.ok(f"wrote {', '.join(written)} ({_spend(data)}){fixture_note}", data)
    if not written:
        return StepOutcome.error(
            "no file written", f"no file written: {reason} without changing any file", data
        )
    return StepOutcome.ok(f"rewrote {', '.join(written)} ({_spend(data)})", data)
