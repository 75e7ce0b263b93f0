"""Applying a claimed change in memory does what ``$set`` does with the same paths."""

from __future__ import annotations

import pytest

from cts_store.versions import apply_change, stored_change, version_id


def test_top_level_and_indexed_paths_are_set_in_order() -> None:
    doc = {"_id": "s", "version": 1, "status": "active", "interactions": [{"id": "a"}]}
    change = stored_change(
        {"interactions.0": {"id": "a", "done": True}, "interactions.1": {"id": "b"},
         "status": "complete", "version": 2}
    )  # fmt: skip
    apply_change(doc, change)
    assert doc == {
        "_id": "s", "version": 2, "status": "complete",
        "interactions": [{"id": "a", "done": True}, {"id": "b"}],
    }  # fmt: skip


def test_a_change_that_would_leave_a_hole_in_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="skips elements"):
        apply_change({"interactions": []}, stored_change({"interactions.2": {}}))


def test_claims_are_named_by_session_and_version() -> None:
    assert version_id("abc", 7) == "abc#7"
    assert stored_change({"a.b": 1}) == [{"path": "a.b", "value": 1}]
