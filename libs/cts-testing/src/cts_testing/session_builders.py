"""Sessions at any point of the workflow, built with the real pure transitions (for tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cts_contracts import ResultStatus, Step, StepDataModel
from cts_core import Result, Session, advance, new_session, record_result
from cts_testing.factories import session_request

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEADLINES = dict.fromkeys(Step, timedelta(minutes=30))


def start(**options: Any) -> Session:
    request = session_request(options=options) if options else session_request()
    return advance(new_session(request, now=T0), now=T0, deadlines=DEADLINES)


def answer(
    session: Session,
    status: ResultStatus = ResultStatus.OK,
    data: StepDataModel | None = None,
    summary: str = "done",
) -> Session:
    """Record a result for the in-flight interaction and advance."""
    in_flight = session.in_flight
    assert in_flight is not None, "nothing in flight"
    result = Result(status=status, summary=summary, data=data, completed_at=T0)
    recorded = record_result(session, in_flight.id, result)
    assert recorded is not None
    return advance(recorded, now=T0, deadlines=DEADLINES)


def at_run_tests(**options: Any) -> Session:
    """A session whose first RunTests is in flight: every step before it answered ``ok``."""
    session = start(**options)
    while (current := session.in_flight) is not None and current.step is not Step.RUN_TESTS:
        session = answer(session)
    assert session.in_flight is not None, "this path has no RunTests"
    return session
