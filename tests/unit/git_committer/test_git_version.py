"""The committer refuses a git too old to honour its hardening."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cts_git_committer.git_process import GitTooOld, check_git_version


def _fake_git(directory: Path, version_line: str) -> None:
    fake = directory / "git"
    fake.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)


async def test_the_installed_git_is_recent_enough() -> None:
    assert (await check_git_version()).startswith("git version ")


@pytest.mark.parametrize(
    ("line", "problem"),
    [("git version 2.30.9", "too old"), ("git version 1.9", "too old"), ("hello", "cannot read")],
)
async def test_old_or_unreadable_versions_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, problem: str
) -> None:
    _fake_git(tmp_path, line)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(GitTooOld, match=problem):
        await check_git_version()
