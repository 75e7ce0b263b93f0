"""Pure state transitions of a session: new, record a result, advance by the workflow.

Every function returns a new ``Session`` (the model is frozen). Ids are deterministic, so two
orchestrator replicas deciding from the same version write the same thing and compare-and-set
lets exactly one of them win.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cts_contracts import RunTestsData, SessionRequestedData, SessionStatus, Step
from cts_contracts import topics as t
from cts_contracts.step_requested import MAX_PREVIOUS_ERRORS
from cts_core import messages
from cts_core.model import Interaction, OutboxItem, Result, Session
from cts_core.steps import command_topic, kind_of
from cts_core.workflow import Complete, Dispatch, Fail, Wait, next_step


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
    stored, report = result, ""
    if isinstance(result.data, RunTestsData):
        # Only the newest report is kept, once (Fix needs it): the history must not grow with it.
        report = result.data.report
        stored = result.model_copy(update={"data": result.data.model_copy(update={"report": ""})})
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
        update["last_test_report"] = (report or result.error_message or result.summary)[
            :MAX_PREVIOUS_ERRORS
        ]
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
    item = OutboxItem(
        id=interaction.id,
        kind="command",
        topic=command_topic(kind_of(decision.step).executor),
        key=session.id,
        payload=messages.command(session, interaction).model_dump_json(),
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


def _finish(
    session: Session, status: SessionStatus, reason: str | None, *, now: datetime
) -> Session:
    outcome = messages.outcome(session, now=now)
    event = messages.finished(session, status, reason, outcome, now)
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
            "outcome": outcome,
            "outbox": [*session.outbox, item],
            "outbox_since": session.outbox_since or now,
            "current_deadline": None,
            "finished_at": now,
            "updated_at": now,
        }
    )


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
