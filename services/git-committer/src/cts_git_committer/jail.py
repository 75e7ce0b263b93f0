"""Directories inside a working tree that a repository cannot redirect with symlinks.

The repository's content is the user's (or an attacker's): a committed symlink ``test ->
/etc`` would make a naive ``mkdir -p test/...`` write outside the workspace.
"""

from __future__ import annotations

from pathlib import Path

from cts_git_committer.failures import StepFailure
from cts_runtime import beneath


def ensure_directory(root: Path, relative: str) -> None:
    """``mkdir -p root/relative``, refusing to pass through anything but real directories."""
    try:
        beneath.make_dirs(root, relative)
    except beneath.NotBeneath as exc:
        raise StepFailure("unusable test directory", f"cannot create {relative}: {exc}") from None
