"""Which changed paths the session commit may contain, and which it leaves out.

Only the session's test file, its fixture file and new or changed files under
``test/support/`` (where the agent may write) go in. Everything else that changed in the
working tree (build output, files a test run touched, a deleted file) is reported as
ignored and never committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from cts_contracts.fields import RelativePath

SUPPORT_DIR = "test/support/"
_RELATIVE_PATH: TypeAdapter[str] = TypeAdapter(RelativePath)


@dataclass(frozen=True)
class Selection:
    commit: list[str]
    ignored: list[str]
    unlistable: int = 0
    """Ignored paths whose names cannot appear in an event (not UTF-8, a backslash, ...)."""


def select(
    changed: Iterable[bytes],
    *,
    test_file: str,
    fixture_file: str,
    is_regular_file: Callable[[str], bool],
) -> Selection:
    """``changed`` are paths as git prints them with ``-z``; the two session files are
    always considered, even when a ``.gitignore`` hides them from ``git status``."""
    commit: set[str] = set()
    ignored: set[str] = set()
    unlistable = 0
    candidates: list[str] = []
    for raw in changed:
        try:
            candidates.append(_RELATIVE_PATH.validate_python(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValidationError):
            unlistable += 1
    for path in {*candidates, test_file, fixture_file}:
        allowed = path in (test_file, fixture_file) or path.startswith(SUPPORT_DIR)
        if allowed and is_regular_file(path):
            commit.add(path)
        elif path in candidates:
            ignored.add(path)
    return Selection(sorted(commit), sorted(ignored - commit), unlistable)
