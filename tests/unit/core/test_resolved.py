"""What Initialize settles reaches every later command and the outcome: the expectation auto
became, the design documents found, the warnings, and the session's alignment options."""

from __future__ import annotations

import json
from typing import Any

from cts_contracts import (
    AgentData,
    Expect,
    FinalizeData,
    InitializeData,
    ResultStatus,
    RunTestsData,
    SessionStatus,
    Step,
)
from cts_core import Session
from cts_core.resolved import component_of, expect_of
from cts_testing.session_builders import answer, start

BASE = "a" * 40


def initialized(**data: Any) -> InitializeData:
    return InitializeData(branch="b", base_sha=BASE, **data)


def last_command(session: Session) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(session.outbox[-1].payload)["data"]
    return data


def test_auto_is_sent_to_initialize_only_and_its_decision_to_every_later_step() -> None:
    session = start()
    assert last_command(session)["expect"] == "auto"
    session = answer(session, data=initialized(expect="green"))
    assert last_command(session)["expect"] == "green"
    assert expect_of(session) is Expect.GREEN


def test_a_decided_green_session_fails_with_green_in_its_reason() -> None:
    session = answer(start(max_fix_attempts=0), data=initialized(expect="green"))
    session = answer(answer(session))  # prepare_project, generate
    session = answer(session, ResultStatus.ERROR, RunTestsData(compiled=True), summary="1 fails")
    assert session.status is SessionStatus.FAILED
    assert "the 'green' expectation" in (session.reason or "")
    assert session.outcome is not None
    assert session.outcome.expect == "green"


def test_auto_without_a_decision_is_red_and_an_explicit_expectation_stays() -> None:
    assert expect_of(answer(start(), data=initialized())) is Expect.RED
    session = answer(start(expect="none"), data=initialized(expect="none"))
    assert last_command(session)["step"] == "generate_tests_and_fixtures"
    assert last_command(session)["expect"] == "none"


def test_later_commands_read_the_design_initialize_found() -> None:
    found = initialized(
        expect="red",
        design_file="docs/spec/my_app/accounts/user_repository.spec.md",
        parent_design_file=None,
    )
    session = answer(start(), data=found)
    component = last_command(session)["component"]
    assert component["design_file"] == "docs/spec/my_app/accounts/user_repository.spec.md"
    assert component["parent_design_file"] is None
    assert component_of(start()).design_file == "docs/design/my_app/accounts/user_repository.md"


def test_the_sessions_alignment_options_and_description_reach_the_commands() -> None:
    session = start(alignment_threshold=0.75, alignment_counts_extra_tests=False,
                    require_test_assertions=False)  # fmt: skip
    command = last_command(session)
    assert command["alignment_threshold"] == 0.75
    assert command["alignment_counts_extra_tests"] is False
    assert command["require_test_assertions"] is False


def test_warnings_and_the_decision_end_in_the_outcome() -> None:
    warning = "docs/design/x.md lists no Test Assertions: tests generated without alignment"
    session = answer(start(expect="none"), data=initialized(expect="none", warnings=[warning]))
    skipped = "docs/rules/x.md skipped: the front matter has no closing '---' line"
    session = answer(session, data=AgentData(step="generate_tests_and_fixtures",
                                             warnings=[warning, skipped]))  # fmt: skip
    session = answer(session, data=FinalizeData(commit_sha=BASE, branch="b"))
    assert session.status is SessionStatus.COMPLETE
    assert session.outcome is not None
    assert session.outcome.warnings == [warning, skipped]
    assert session.outcome.expect == "none"
    assert [i.step for i in session.interactions][-1] is Step.FINALIZE


def test_a_session_that_failed_before_deciding_has_no_expectation() -> None:
    session = answer(start(), ResultStatus.ERROR, summary="design file not found")
    assert session.outcome is not None
    assert session.outcome.expect is None
