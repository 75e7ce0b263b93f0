"""Session workspaces under ``CTS_WORKSPACE_ROOT``, shared by the three executors."""

from __future__ import annotations

from pathlib import Path


class WorkspaceEscape(ValueError):
    """A workspace path that would leave the root."""


def workspace_relpath(account_id: str, project_id: str, session_id: str) -> str:
    return f"{account_id}/{project_id}/{session_id}"


def resolve_workspace(root: Path, relative: str) -> Path:
    """The absolute workspace directory; refuses anything that resolves outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        raise WorkspaceEscape(f"workspace {relative!r} is outside the workspace root")
    return target
