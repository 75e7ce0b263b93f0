"""Session paths stay under the root; symlinks in the repository cannot redirect writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cts_contracts import Step
from cts_git_committer.failures import StepFailure
from cts_git_committer.jail import ensure_directory
from cts_git_committer.layout import Layout
from cts_runtime.beneath import is_regular_file
from cts_runtime.workspace import WorkspaceEscape
from cts_testing.factories import step_request


def test_session_paths(tmp_path: Path) -> None:
    paths = Layout(tmp_path).session("acme", "shop", "s-1")
    assert paths.workspace == tmp_path / "acme" / "shop" / "s-1"
    assert paths.gitdir == tmp_path / ".git-committer" / "repos" / "acme" / "shop" / "s-1.git"
    assert paths.state_file.parent == paths.gitdir


@pytest.mark.parametrize("session_id", ["..", "../x", "a/b", ".hidden", "a..b", "", "x" * 101])
def test_unsafe_session_ids_are_refused(tmp_path: Path, session_id: str) -> None:
    with pytest.raises(WorkspaceEscape):
        Layout(tmp_path).session("acme", "shop", session_id)


def test_a_command_must_name_its_own_workspace(tmp_path: Path) -> None:
    command = step_request(Step.INITIALIZE)
    assert Layout(tmp_path).for_command(command).workspace == tmp_path / command.workspace
    forged = command.model_copy(update={"workspace": ".mirrors/acme/shop"})
    with pytest.raises(StepFailure, match="is not this session's"):
        Layout(tmp_path).for_command(forged)


def test_ensure_directory_refuses_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    (work / "test").symlink_to(outside)
    with pytest.raises(StepFailure, match="'test' is a symbolic link or not a directory"):
        ensure_directory(work, "test/support/fixtures")
    assert list(outside.iterdir()) == []
    ensure_directory(work, "lib/deep/dir")
    assert (work / "lib" / "deep" / "dir").is_dir()
    (work / "file").write_text("x")
    with pytest.raises(StepFailure, match="'file' is a symbolic link or not a directory"):
        ensure_directory(work, "file/below")


def test_is_regular_file(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "real.ex").write_text("x")
    os.symlink(tmp_path / "dir" / "real.ex", tmp_path / "dir" / "link.ex")
    os.symlink(tmp_path / "dir", tmp_path / "linked-dir")
    assert is_regular_file(tmp_path, "dir/real.ex")
    assert not is_regular_file(tmp_path, "dir/link.ex")
    assert not is_regular_file(tmp_path, "linked-dir/real.ex")
    assert not is_regular_file(tmp_path, "dir/missing.ex")
    assert not is_regular_file(tmp_path, "dir/real.ex/below")
    assert not is_regular_file(tmp_path, "dir")
