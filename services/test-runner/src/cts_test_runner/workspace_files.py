"""Reading session files from a workspace without following a link out of it."""

from __future__ import annotations

from pathlib import Path

from cts_runtime import beneath

MAX_READ = 1024 * 1024


def read_text(workspace: Path, relative: str | None) -> str | None:
    """A file's text (capped), or ``None`` when absent, not a regular file, or reached only
    through a link."""
    return beneath.read_text(workspace, relative, MAX_READ)


def is_regular_file(workspace: Path, relative: str) -> bool:
    return beneath.is_regular_file(workspace, relative)
