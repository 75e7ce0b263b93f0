"""No sequence of results makes a session loop forever or revives a finished one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cts_contracts import ResultStatus, SessionStatus, Step
from cts_core import Result, Wait, next_step, record_result
from cts_testing.session_builders import T0, answer, start

statuses = st.sampled_from(list(ResultStatus))


@settings(max_examples=300, deadline=None)
@given(
    results=st.lists(statuses, min_size=0, max_size=200),
    max_fix=st.integers(min_value=0, max_value=10),
    expect=st.sampled_from(["red", "green", "none"]),
)
def test_any_result_sequence_terminates_within_the_bound(
    results: list[ResultStatus], max_fix: int, expect: str
) -> None:
    s = start(max_fix_attempts=max_fix, expect=expect)
    retries = s.max_step_retries
    # Each step runs at most (retries+1) times per round; a round is at most Run+Fix.
    bound = (retries + 1) * (4 + 2 * max_fix + 1)
    for status in results:
        if s.status is not SessionStatus.ACTIVE:
            break
        s = answer(s, status, summary=status.value)
        assert len(s.interactions) <= bound
    if s.status is not SessionStatus.ACTIVE:
        assert next_step(s) == Wait()
        revived = record_result(
            s, s.interactions[-1].id, Result(status=ResultStatus.OK, summary="x", completed_at=T0)
        )
        assert revived is None
        assert sum(1 for item in s.outbox if item.kind == "finished") == 1
    fixes = sum(1 for i in s.interactions if i.step is Step.FIX_COMPILATION_ERRORS)
    assert fixes <= max_fix * (retries + 1)


@settings(max_examples=100, deadline=None)
@given(max_fix=st.integers(min_value=0, max_value=10), expect=st.sampled_from(["red", "green"]))
def test_always_erroring_tests_end_failed(max_fix: int, expect: str) -> None:
    s = answer(answer(start(max_fix_attempts=max_fix, expect=expect)))
    while s.status is SessionStatus.ACTIVE:
        in_flight = s.in_flight
        assert in_flight is not None
        status = ResultStatus.ERROR if in_flight.step is Step.RUN_TESTS else ResultStatus.OK
        s = answer(s, status)
    assert s.status is SessionStatus.FAILED
    assert sum(1 for i in s.interactions if i.step is Step.FIX_COMPILATION_ERRORS) == max_fix
