"""``changes``: a transition writes what it changed, never the session's whole history."""

from __future__ import annotations

from cts_contracts import ResultStatus, RunTestsData
from cts_store.documents import changes
from cts_testing.session_builders import answer, at_run_tests, start


def test_an_answered_step_sets_its_result_the_next_step_and_the_outbox_only() -> None:
    before = at_run_tests()
    after = answer(
        before, ResultStatus.ERROR, RunTestsData(compiled=False, report="x:1: undefined")
    )
    update = changes(before, after)
    # The builders' clock stands still, so deadlines and timestamps are equal and not written.
    assert set(update) == {
        "interactions.3", "interactions.4", "outbox", "outbox_pending", "last_test_report",
    }  # fmt: skip
    assert update["interactions.3"]["result"]["status"] == ResultStatus.ERROR
    assert update["interactions.4"]["step"] == "fix_compilation_errors"
    assert [item["id"] for item in update["outbox"]] == [after.interactions[4].id]
    assert update["outbox_pending"] is True
    assert update["last_test_report"] == "x:1: undefined"


def test_older_interactions_are_not_rewritten_however_long_the_history() -> None:
    session = at_run_tests(max_fix_attempts=10)
    for _ in range(9):  # run_tests fails, fix answers: the history grows by two each round
        session = answer(session, ResultStatus.ERROR, RunTestsData(compiled=False, report="r"))
        session = answer(session)
    later = answer(session, ResultStatus.ERROR, RunTestsData(compiled=False, report="r"))
    written = [key for key in changes(session, later) if key.startswith("interactions")]
    assert written == [f"interactions.{len(session.interactions) - 1}",
                       f"interactions.{len(session.interactions)}"]  # fmt: skip


def test_nothing_changed_writes_nothing() -> None:
    session = start()
    assert changes(session, session.model_copy()) == {}
