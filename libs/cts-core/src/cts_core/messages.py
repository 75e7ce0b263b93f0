"""The messages a session's decisions imply: the command for a new interaction, and the
``SessionFinished`` event with the session's outcome. Pure: ids and times come from the
session, so two replicas deciding from the same version build the same bytes."""

from __future__ import annotations

from datetime import datetime

from cts_contracts import (
    AgentData,
    FinalizeData,
    Outcome,
    SessionFinished,
    SessionFinishedData,
    SessionStatus,
    Step,
    StepRequested,
    StepRequestedData,
    Usage,
)
from cts_contracts.naming import branch_name, workspace_relpath
from cts_contracts.step_requested import MAX_PREVIOUS_ERRORS
from cts_core.model import Interaction, Session
from cts_core.resolved import command_expect, component_of, decided_expect, warnings_of

SOURCE = "cts/orchestrator"
MAX_REASON = 4000


def command(session: Session, interaction: Interaction) -> StepRequested:
    request = session.request
    previous = None
    if interaction.step is Step.FIX_COMPILATION_ERRORS:
        previous = (session.last_test_report or "RunTests failed without a report")[
            :MAX_PREVIOUS_ERRORS
        ]
    files = files_written(session) if interaction.step is Step.FINALIZE else None
    data = StepRequestedData(
        account_id=session.account_id,
        project_id=session.project_id,
        session_id=session.id,
        interaction_id=interaction.id,
        step=interaction.step,
        attempt=interaction.attempt,
        fix_attempt=interaction.fix_attempt,
        workspace=workspace_relpath(session.account_id, session.project_id, session.id),
        component=component_of(session),
        repository=request.repository,
        branch=branch_name(request.component.name),
        expect=command_expect(session, interaction.step),
        project_description=request.project_description,
        alignment_threshold=request.options.alignment_threshold,
        alignment_counts_extra_tests=request.options.alignment_counts_extra_tests,
        require_test_assertions=request.options.require_test_assertions,
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


def spent_usd(session: Session) -> float:
    """What the session's answered agent steps cost (the agent-runner's budget check needs it)."""
    return _total(_usages(session)).cost_usd


def files_written(session: Session) -> list[str]:
    """Every file the agent reported writing in this session: Finalize commits exactly these."""
    written: set[str] = set()
    for interaction in session.interactions:
        data = interaction.result.data if interaction.result else None
        if isinstance(data, AgentData):
            written.update(data.files_written)
    return sorted(written)


def finished(
    session: Session, status: SessionStatus, reason: str | None, outcome: Outcome, now: datetime
) -> SessionFinished:
    return SessionFinished(
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
            reason=reason[:MAX_REASON] if reason else None,
            outcome=outcome,
            started_at=session.created_at,
            finished_at=now,
        ),
    )


def outcome(session: Session, *, now: datetime) -> Outcome:
    """What the session produced: the last Finalize's commit, the model usage of every agent
    step, how many fix rounds it took, the expectation it was held to and what was warned."""
    finalize: FinalizeData | None = None
    for interaction in session.interactions:
        data = interaction.result.data if interaction.result else None
        if isinstance(data, FinalizeData):
            finalize = data
    return Outcome(
        commit_sha=finalize.commit_sha if finalize else None,
        branch=finalize.branch if finalize else None,
        files=finalize.files if finalize else [],
        fix_attempts=max((i.fix_attempt for i in session.interactions), default=0),
        usage=_total(_usages(session)),
        duration_s=max(0.0, (now - session.created_at).total_seconds()),
        expect=decided_expect(session),
        warnings=warnings_of(session),
    )


def _usages(session: Session) -> list[Usage]:
    return [
        i.result.data.usage
        for i in session.interactions
        if i.result is not None and isinstance(i.result.data, AgentData)
    ]


def _total(usages: list[Usage]) -> Usage:
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cache_read_tokens=sum(u.cache_read_tokens for u in usages),
        cache_write_tokens=sum(u.cache_write_tokens for u in usages),
        cost_usd=round(sum(u.cost_usd for u in usages), 6),
    )
