"""Only the session's files go into the commit; the rest is reported as ignored."""

from __future__ import annotations

from cts_git_committer.changes import select

TEST = "test/my_app/accounts/user_repository_test.exs"
FIXTURE = "test/support/fixtures/accounts/user_repository_fixtures.ex"


def _select(
    changed: list[bytes], regular: set[str], written: tuple[str, ...] = ()
) -> tuple[list[str], list[str], int]:
    chosen = select(changed, test_file=TEST, fixture_file=FIXTURE, written=written,
                    is_regular_file=regular.__contains__)  # fmt: skip
    return chosen.commit, chosen.ignored, chosen.unlistable


def test_session_files_and_written_support_files_are_committed_the_rest_ignored() -> None:
    changed = [TEST.encode(), b"test/support/helpers.ex", b"lib/my_app.ex", b"mix.lock",
               b"test/other_test.exs", b"test/support/planted.ex"]  # fmt: skip
    regular = {TEST, FIXTURE, "test/support/helpers.ex", "lib/my_app.ex", "mix.lock",
               "test/other_test.exs", "test/support/planted.ex"}  # fmt: skip
    commit, ignored, unlistable = _select(changed, regular, ("test/support/helpers.ex",))
    assert commit == [TEST, FIXTURE, "test/support/helpers.ex"]
    assert ignored == [
        "lib/my_app.ex",
        "mix.lock",
        "test/other_test.exs",
        "test/support/planted.ex",
    ]
    assert unlistable == 0


def test_a_written_file_outside_test_support_is_not_committed() -> None:
    """The agent can write only under test/support/: a command naming more is not obeyed."""
    commit, ignored, _ = _select([b"lib/my_app.ex"], {TEST, "lib/my_app.ex"}, ("lib/my_app.ex",))
    assert (commit, ignored) == ([TEST], ["lib/my_app.ex"])


def test_the_session_files_count_even_when_status_hides_them() -> None:
    commit, ignored, _ = _select([], {TEST, FIXTURE})
    assert commit == [TEST, FIXTURE]
    assert ignored == []


def test_deleted_or_symlinked_allowed_paths_are_ignored_not_committed() -> None:
    changed = [b"test/support/removed.ex", b"test/support/link.ex", TEST.encode()]
    written = ("test/support/removed.ex", "test/support/link.ex")
    commit, ignored, _ = _select(changed, {TEST}, written)
    assert commit == [TEST]
    assert ignored == ["test/support/link.ex", "test/support/removed.ex"]


def test_names_that_cannot_be_listed_are_counted() -> None:
    changed = [b"\xff\xfe.bin", b"dir\\file", b"test/support/ok.ex"]
    commit, ignored, unlistable = _select(changed, {"test/support/ok.ex"}, ("test/support/ok.ex",))
    assert commit == ["test/support/ok.ex"]
    assert ignored == []
    assert unlistable == 2


def test_a_path_that_only_looks_like_support_is_not_allowed() -> None:
    changed = [b"test/supported.ex", b"lib/test/support/x.ex"]
    regular = {"test/supported.ex", "lib/test/support/x.ex"}
    commit, ignored, _ = _select(changed, regular, tuple(regular))
    assert commit == []
    assert ignored == ["lib/test/support/x.ex", "test/supported.ex"]
