"""Reading session files from a workspace without following a link out of it."""

from __future__ import annotations

from pathlib import Path

MAX_READ = 1024 * 1024


def inside(workspace: Path, relative: str) -> Path | None:
    """The resolved path, or ``None`` when it resolves (through ``..`` or a link) outside."""
    base = workspace.resolve()
    target = (base / relative).resolve()
    return target if base in target.parents else None


def read_text(workspace: Path, relative: str | None) -> str | None:
    """A file's text (capped), or ``None`` when absent, unreadable or outside the workspace."""
    if relative is None or (path := inside(workspace, relative)) is None:
        return None
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_READ).decode("utf-8", errors="replace")
    except OSError:
        return None
