"""The model's file tools see only the session workspace, and write only the session's files.

Every path the model names is checked as text here (no NUL, no absolute path, no ``..``, no
``.git``) and then opened component by component without following any link
(``cts_runtime.beneath``), so neither a link in the repository nor one swapped in after the
check can lead outside. Writes must also name the session's test file, its fixture file or a
file under ``test/support/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cts_contracts.fields import HIDDEN_SEGMENTS

_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_PATH = 400
"""The contracts' limit for a path in an event (``files_written``)."""
HIDDEN_DIRS = HIDDEN_SEGMENTS
"""Never listed, read or written: ``.git/config`` may hold a remote URL with credentials (the
contracts refuse the same in any path a message names)."""


class Refused(ValueError):
    """A tool call the jail does not allow; the reason goes back to the model."""


class Jail:
    def __init__(self, root: Path, *, writable: Iterable[str], writable_dirs: Iterable[str]):
        self.root = root.resolve()
        self._writable = frozenset(writable)
        self._writable_dirs = tuple(d.rstrip("/") + "/" for d in writable_dirs)

    def relative(self, raw: object, *, allow_root: bool = False) -> str:
        """The normalized relative path, or ``Refused`` saying why not."""
        if not isinstance(raw, str):
            raise Refused("the path must be a string")
        if len(raw) > MAX_PATH:
            raise Refused(f"paths are limited to {MAX_PATH} characters")
        if "\x00" in raw:
            raise Refused("the path contains a NUL byte")
        if raw.startswith(("/", "\\", "~")) or _DRIVE.match(raw):
            raise Refused(f"absolute paths are not allowed ({raw!r}); use a workspace path")
        if "\\" in raw:
            raise Refused("use '/' as the path separator")
        parts = [p for p in raw.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise Refused(f"'..' is not allowed in paths ({raw!r})")
        hidden = [part for part in parts if part in HIDDEN_DIRS]
        if hidden:
            raise Refused(f"{hidden[0]}/ is not accessible")
        if not parts and not allow_root:
            raise Refused("a file path is required")
        return "/".join(parts)

    def may_write(self, relative: str) -> bool:
        return relative in self._writable or relative.startswith(self._writable_dirs)

    def writable(self, raw: object) -> str:
        """The relative path of an allowed write (opening it never follows a link)."""
        relative = self.relative(raw)
        if not self.may_write(relative):
            allowed = ", ".join(sorted(self._writable) + [f"{d}**" for d in self._writable_dirs])
            raise Refused(f"writing {relative!r} is not allowed; you may write only: {allowed}")
        return relative
