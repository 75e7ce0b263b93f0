"""Paths inside a working tree that a repository cannot redirect with symlinks.

The repository's content is the user's (or an attacker's): a committed symlink ``test ->
/etc`` would make a naive ``mkdir -p test/...`` write outside the workspace, and would make
a "test file" point at a file that is not the session's.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cts_git_committer.failures import StepFailure


def ensure_directory(root: Path, relative: str) -> None:
    """``mkdir -p root/relative``, refusing to pass through anything but real directories."""
    current = root
    for part in relative.split("/"):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            current.mkdir()
            continue
        if not stat.S_ISDIR(mode):
            kind = "a symlink" if stat.S_ISLNK(mode) else "not a directory"
            raise StepFailure(
                "unusable test directory",
                f"cannot create {relative}: {current.relative_to(root)} is {kind}",
            )


def is_regular_file(root: Path, relative: str) -> bool:
    """True when every parent is a real directory and the path is a regular file."""
    current = root
    parts = relative.split("/")
    for index, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return False
        last = index == len(parts) - 1
        if (last and not stat.S_ISREG(mode)) or (not last and not stat.S_ISDIR(mode)):
            return False
    return True
