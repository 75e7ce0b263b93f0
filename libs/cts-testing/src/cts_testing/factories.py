"""Valid contract objects with overridable fields, for tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cts_contracts import Expect, SessionRequested, SessionRequestedData, Step, StepRequested
from cts_contracts.naming import branch_name
from cts_contracts.step_requested import StepRequestedData


def session_request(**overrides: Any) -> SessionRequestedData:
    raw: dict[str, Any] = {
        "request_id": f"req-{uuid.uuid4().hex[:8]}",
        "account_id": "acme",
        "project_id": "shop",
        "component": {"module_name": "MyApp.Accounts.UserRepository", "type": "repository"},
        "repository": {"url": "file:///tmp/repo.git"},
    }
    raw.update(overrides)
    return SessionRequestedData.model_validate(raw)


def session_requested(**overrides: Any) -> SessionRequested:
    data = session_request(**overrides)
    return SessionRequested(source="cts/tests", subject=data.session_id, data=data)


def step_request(step: Step = Step.INITIALIZE, **overrides: Any) -> StepRequestedData:
    """A command as the orchestrator sends it: ``auto`` only to Initialize, red after it
    (what auto becomes for this component, which has no source file)."""
    request = session_request()
    expect = request.options.expect
    if step is not Step.INITIALIZE and expect is Expect.AUTO:
        expect = Expect.RED
    raw: dict[str, Any] = {
        "account_id": request.account_id,
        "project_id": request.project_id,
        "session_id": request.session_id,
        "interaction_id": str(uuid.uuid4()),
        "step": step,
        "attempt": 1,
        "workspace": f"{request.account_id}/{request.project_id}/{request.session_id}",
        "component": request.component,
        "repository": request.repository,
        "branch": branch_name(request.component.name),
        "expect": expect,
        "deadline": datetime.now(UTC) + timedelta(minutes=10),
    }
    raw.update(overrides)
    return StepRequestedData.model_validate(raw)


def step_requested(step: Step = Step.INITIALIZE, **overrides: Any) -> StepRequested:
    data = step_request(step, **overrides)
    return StepRequested(source="cts/tests", subject=data.session_id, data=data)
