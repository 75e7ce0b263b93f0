"""What the instant executor answers, built from plain dicts so the executor side costs next to
nothing and costs the same for CTS and for the floor.

The step data are the fake executors' own answers (``cts_testing.answers``), dumped once, so
every answer is a valid ``StepCompleted`` (a unit test holds that).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from cts_contracts import Step
from cts_contracts.step_completed import STEP_COMPLETED_TYPE, RunTestsData
from cts_core import kind_of
from cts_testing.answers import sample_data

COMPILE_REPORT = (
    "== Compilation error in file test/my_app/accounts/user_repository_test.exs ==\n"
    + "** (CompileError) test/my_app/accounts/user_repository_test.exs:12: "
    "undefined function build/1 (expected MyApp.Accounts.UserRepositoryTest to define it)\n" * 20
)
"""~2 KB: a realistic RunTests report, the text a Fix command carries to the model."""

_OK_DATA: dict[str, dict[str, Any]] = {
    step.value: sample_data(step).model_dump(mode="json") for step in Step
}
_FAILED_RUN = RunTestsData(compiled=False, exit_code=1, report=COMPILE_REPORT).model_dump(
    mode="json"
)


def completion(command: dict[str, Any], *, fail: bool = False, executor: str = "bench") -> bytes:
    """The ``StepCompleted`` answering ``command`` (the ``data`` of a ``StepRequested``).

    ``fail`` makes RunTests answer ``error`` with a compile report, which sends the session to
    FixCompilationErrors.
    """
    step = command["step"]
    now = datetime.now(UTC).isoformat()
    failed = fail and step == "run_tests"
    data = _FAILED_RUN if failed else _OK_DATA[step]
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"cts/{executor}",
        "type": STEP_COMPLETED_TYPE,
        "time": now,
        "subject": command["session_id"],
        "datacontenttype": "application/json",
        "data": {
            "schema_version": 1,
            "account_id": command["account_id"],
            "project_id": command["project_id"],
            "session_id": command["session_id"],
            "interaction_id": command["interaction_id"],
            "step": step,
            "status": "error" if failed else "ok",
            "summary": "does not compile" if failed else "done",
            "error_message": "compile errors in the test file" if failed else None,
            "data": data,
            "executor": executor,
            "executor_kind": kind_of(Step(step)).executor.value,
            "started_at": now,
            "completed_at": now,
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()
