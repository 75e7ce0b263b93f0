"""Which changed paths the session commit may contain, and which it leaves out.

Only the session's test file, its fixture file and the other files the agent wrote (named
in the Finalize command, each under ``test/support/``, where the agent may write) go in, by
path. Everything else that changed in the working tree (a file nobody asked for under
``test/support/``, a deleted file, anything elsewhere) is reported as ignored and never
committed.
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
    written: Iterable[str] = (),
    is_regular_file: Callable[[str], bool],
) -> Selection:
    """``changed`` are paths as git prints them with ``-z``; the session files (the test
    file, the fixture file and ``written``) are always considered, even when a
    ``.gitignore`` hides them from ``git status``."""
    wanted = {test_file, fixture_file} | {p for p in written if p.startswith(SUPPORT_DIR)}
    commit: set[str] = set()
    ignored: set[str] = set()
    unlistable = 0
    candidates: list[str] = []
    for raw in changed:
        try:
            candidates.append(_RELATIVE_PATH.validate_python(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValidationError):
            unlistable += 1
    for path in {*candidates, *wanted}:
        if path in wanted and is_regular_file(path):
            commit.add(path)
        elif path in candidates:
            ignored.add(path)
    return Selection(sorted(commit), sorted(ignored - commit), unlistable)
