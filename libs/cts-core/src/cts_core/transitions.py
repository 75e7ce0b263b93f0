"""Pure state transitions of a session: new, record a result, advance by the workflow.

Every function returns a new ``Session`` (the model is frozen). Ids are deterministic, so two
orchestrator replicas deciding from the same version write the same thing and compare-and-set
lets exactly one of them win.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cts_contracts import (
    EXECUTOR_OF,
    Executor,
    Outcome,
    SessionFinished,
    SessionFinishedData,
    SessionRequestedData,
    SessionStatus,
    Step,
    StepRequested,
    StepRequestedData,
    Usage,
)
from cts_contracts import topics as t
from cts_contracts.naming import branch_name, workspace_relpath
from cts_contracts.step_requested import MAX_PREVIOUS_ERRORS
from cts_core.model import Interaction, OutboxItem, Result, Session
from cts_core.workflow import Complete, Dispatch, Fail, Wait, next_step

COMMAND_TOPIC: Mapping[Executor, str] = {
    Executor.AGENT: t.AGENT_STEP_REQUESTED,
    Executor.TESTS: t.TESTS_STEP_REQUESTED,
    Executor.GIT: t.GIT_STEP_REQUESTED,
}
SOURCE = "cts/orchestrator"


def new_session(
    request: SessionRequestedData, *, now: datetime, max_step_retries: int = 2
) -> Session:
    return Session(
        id=request.session_id,
        account_id=request.account_id,
        project_id=request.project_id,
        request_id=request.request_id,
        type=request.session_type,
        request=request,
        max_step_retries=max_step_retries,
        created_at=now,
        updated_at=now,
    )


def record_result(session: Session, interaction_id: str, result: Result) -> Session | None:
    """The session with ``result`` recorded, or ``None`` when there is nothing to record:
    an unknown interaction, or one already answered (a duplicate or a late answer)."""
    target = session.interaction(interaction_id)
    if target is None or target.result is not None or session.finished:
        return None
    data = dict(result.data) if result.data else None
    report = data.pop("report", None) if data else None
    stored = result.model_copy(update={"data": data})
    interactions = [
        i.model_copy(update={"result": stored}) if i.id == interaction_id else i
        for i in session.interactions
    ]
    # An answer proves its command was delivered: it leaves the outbox in this same write, so
    # a quick answer makes the separate "mark published" write unnecessary.
    outbox = [item for item in session.outbox if item.id != interaction_id]
    update: dict[str, Any] = {
        "interactions": interactions,
        "outbox": outbox,
        "outbox_since": session.outbox_since if outbox else None,
        "current_deadline": None,
        "updated_at": result.completed_at,
    }
    if target.step is Step.RUN_TESTS:
        # Only the newest report is kept: Fix needs it, and the document must not grow with it.
        update["last_test_report"] = _report_text(result, report)
    return session.model_copy(update=update)


def advance(session: Session, *, now: datetime, deadlines: Mapping[Step, timedelta]) -> Session:
    """Apply the workflow's decision: record the next command, or finish the session.

    Either way the message to publish goes into the outbox in the same write.
    """
    decision = next_step(session)
    if isinstance(decision, Wait):
        return session
    if isinstance(decision, Dispatch):
        return _dispatch(session, decision, now=now, deadline=now + deadlines[decision.step])
    if isinstance(decision, Complete):
        return _finish(session, SessionStatus.COMPLETE, None, now=now)
    assert isinstance(decision, Fail)
    return _finish(session, SessionStatus.FAILED, decision.reason, now=now)


def _dispatch(
    session: Session, decision: Dispatch, *, now: datetime, deadline: datetime
) -> Session:
    interaction = Interaction(
        id=f"{session.id}.{len(session.interactions) + 1:03d}",
        step=decision.step,
        attempt=decision.attempt,
        fix_attempt=decision.fix_attempt,
        requested_at=now,
        deadline=deadline,
    )
    command = _command(session, interaction)
    item = OutboxItem(
        id=interaction.id,
        kind="command",
        topic=COMMAND_TOPIC[EXECUTOR_OF[decision.step]],
        key=session.id,
        payload=command.model_dump_json(),
    )
    return session.model_copy(
        update={
            "interactions": [*session.interactions, interaction],
            "outbox": [*session.outbox, item],
            "outbox_since": session.outbox_since or now,
            "current_deadline": deadline,
            "updated_at": now,
        }
    )


def _command(session: Session, interaction: Interaction) -> StepRequested:
    request = session.request
    previous = None
    if interaction.step is Step.FIX_COMPILATION_ERRORS:
        previous = (session.last_test_report or "RunTests failed without a report")[
            :MAX_PREVIOUS_ERRORS
        ]
    files = _files_written(session) if interaction.step is Step.FINALIZE else None
    data = StepRequestedData(
        account_id=session.account_id,
        project_id=session.project_id,
        session_id=session.id,
        interaction_id=interaction.id,
        step=interaction.step,
        attempt=interaction.attempt,
        fix_attempt=interaction.fix_attempt,
        workspace=workspace_relpath(session.account_id, session.project_id, session.id),
        component=request.component,
        repository=request.repository,
        branch=branch_name(request.component.name),
        expect=request.options.expect,
        model=request.options.model,
        test_command=request.options.test_command,
        previous_errors=previous,
        deadline=interaction.deadline,
        files=files,
        max_cost_usd=request.options.max_cost_usd,
        spent_usd=spent_usd(session),
    )
    return StepRequested(
        id=interaction.id,
        source=SOURCE,
        subject=session.id,
        time=interaction.requested_at,
        data=data,
    )


def _files_written(session: Session) -> list[str]:
    """Every file the agent reported writing in this session: Finalize commits exactly these."""
    written: set[str] = set()
    for interaction in session.interactions:
        data = interaction.result.data if interaction.result and interaction.result.data else {}
        if interaction.step in (Step.GENERATE_TESTS_AND_FIXTURES, Step.FIX_COMPILATION_ERRORS):
            written.update(str(path) for path in data.get("files_written") or [])
    return sorted(written)


def _finish(
    session: Session, status: SessionStatus, reason: str | None, *, now: datetime
) -> Session:
    outcome = _outcome(session, now=now)
    event = SessionFinished(
        id=f"{session.id}.finished",
        source=SOURCE,
        subject=session.id,
        time=now,
        data=SessionFinishedData(
            account_id=session.account_id,
            project_id=session.project_id,
            session_id=session.id,
            request_id=session.request_id,
            status=status.value,
            reason=reason[:4000] if reason else None,
            outcome=outcome,
            started_at=session.created_at,
            finished_at=now,
        ),
    )
    item = OutboxItem(
        id=event.id,
        kind="finished",
        topic=t.SESSION_FINISHED,
        key=session.id,
        payload=event.model_dump_json(),
    )
    return session.model_copy(
        update={
            "status": status,
            "reason": reason,
            "outcome": outcome.model_dump(mode="json"),
            "outbox": [*session.outbox, item],
            "outbox_since": session.outbox_since or now,
            "current_deadline": None,
            "finished_at": now,
            "updated_at": now,
        }
    )


def _outcome(session: Session, *, now: datetime) -> Outcome:
    totals = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
    }
    cost = 0.0
    finalize: dict[str, Any] = {}
    for interaction in session.interactions:
        data = interaction.result.data if interaction.result and interaction.result.data else {}
        usage = data.get("usage") or {}
        for key in totals:
            totals[key] += int(usage.get(key, 0))
        cost += float(usage.get("cost_usd", 0.0))
        if interaction.step is Step.FINALIZE and interaction.result and data:
            finalize = data
    return Outcome(
        commit_sha=finalize.get("commit_sha"),
        branch=finalize.get("branch"),
        files=finalize.get("files", []),
        fix_attempts=max((i.fix_attempt for i in session.interactions), default=0),
        usage=Usage(**totals, cost_usd=round(cost, 6)),
        duration_s=max(0.0, (now - session.created_at).total_seconds()),
    )


def spent_usd(session: Session) -> float:
    """What the session's answered steps cost (the agent-runner's budget check needs it)."""
    total = sum(
        float(((i.result.data or {}).get("usage") or {}).get("cost_usd", 0.0))
        for i in session.interactions
        if i.result is not None
    )
    return round(total, 6)


def _report_text(result: Result, report: object) -> str:
    text = report if isinstance(report, str) and report else result.error_message or result.summary
    return text[:MAX_PREVIOUS_ERRORS]


def mark_published(session: Session, item_ids: set[str], *, now: datetime) -> Session:
    """Drop published items from the outbox (after the broker acknowledged them)."""
    remaining = [item for item in session.outbox if item.id not in item_ids]
    return session.model_copy(
        update={
            "outbox": remaining,
            "outbox_since": session.outbox_since if remaining else None,
            "updated_at": now,
        }
    )
