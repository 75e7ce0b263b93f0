"""The model's file tools see only the session workspace, and write only the session's files.

Every path the model names is checked twice: as text (no NUL, no absolute path, no ``..``) and
after resolving symlinks (the real file must still be inside the workspace). Writes are stricter:
the path must be the session's test file, its fixture file or under ``test/support/``, and no
symlink may be involved at all, so an in-workspace link cannot redirect a write into ``lib/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_PATH = 400
"""The contracts' limit for a path in an event (``files_written``)."""
HIDDEN_DIRS = frozenset({".git"})
"""Never listed, read or written: ``.git/config`` may hold a remote URL with credentials."""


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
        if parts and parts[0] in HIDDEN_DIRS:
            raise Refused(f"{parts[0]}/ is not accessible")
        if not parts and not allow_root:
            raise Refused("a file path is required")
        return "/".join(parts)

    def readable(self, raw: object, *, allow_root: bool = False) -> Path:
        """An existing or absent path whose real location is inside the workspace."""
        relative = self.relative(raw, allow_root=allow_root)
        target = (self.root / relative).resolve()
        if target != self.root and self.root not in target.parents:
            raise Refused(f"{relative!r} resolves outside the workspace (a symlink?)")
        inner = target.relative_to(self.root).parts
        if inner and inner[0] in HIDDEN_DIRS:
            raise Refused(f"{relative!r} resolves into {inner[0]}/, which is not accessible")
        return target

    def may_write(self, relative: str) -> bool:
        return relative in self._writable or relative.startswith(self._writable_dirs)

    def writable(self, raw: object) -> tuple[str, Path]:
        """The relative path and the real target of an allowed write."""
        relative = self.relative(raw)
        if not self.may_write(relative):
            allowed = ", ".join(sorted(self._writable) + [f"{d}**" for d in self._writable_dirs])
            raise Refused(f"writing {relative!r} is not allowed; you may write only: {allowed}")
        target = self.readable(relative)
        if target != self.root / relative:
            raise Refused(f"{relative!r} goes through a symlink; writes must not")
        if target.is_dir():
            raise Refused(f"{relative!r} is a directory")
        return relative, target


def write_text_nofollow(target: Path, content: str) -> None:
    """Create or replace a file without following a symlink placed there after the check."""
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)


def is_hidden(path: PurePosixPath) -> bool:
    return any(part in HIDDEN_DIRS for part in path.parts)
