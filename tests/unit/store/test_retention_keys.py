"""What retention deletes for a session: every document keyed to it, by ``_id``, and nothing
of another session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cts_contracts import ResultStatus
from cts_store.collections import AGENT_CLAIMS, AGENT_TRANSCRIPTS, SESSION_VERSIONS, SESSIONS
from cts_store.retention import LATE_VERSIONS, Retention, keyed_to
from cts_testing.session_builders import answer, start


def test_every_version_claim_and_transcript_of_the_sessions_and_no_other() -> None:
    first = answer(answer(start()), ResultStatus.TRANSIENT)  # three interactions
    second = start().model_copy(update={"id": "other", "version": 2})
    first = first.model_copy(update={"version": 5})
    keys = keyed_to([first, second])
    assert keys[SESSION_VERSIONS] == [
        *(f"{first.id}#{v}" for v in range(1, 6 + LATE_VERSIONS)),
        *(f"other#{v}" for v in range(1, 3 + LATE_VERSIONS)),
    ]
    assert keys[AGENT_CLAIMS] == [i.id for s in (first, second) for i in s.interactions]
    assert len(keys[AGENT_CLAIMS]) == len(first.interactions) + 1 == 4
    assert keys[AGENT_TRANSCRIPTS] == keys[SESSIONS] == [first.id, "other"]
    assert list(keys)[-1] == SESSIONS, "a session's own document goes last"


def test_nothing_to_delete_for_no_session() -> None:
    assert all(not ids for ids in keyed_to([]).values())


@pytest.mark.parametrize(("keep", "batch"), [(timedelta(0), 10), (timedelta(days=1), 0)])
def test_a_period_and_a_batch_are_required(keep: timedelta, batch: int) -> None:
    unused: Any = None
    with pytest.raises(ValueError, match="positive"):
        Retention(unused, unused, keep=keep, batch=batch)
