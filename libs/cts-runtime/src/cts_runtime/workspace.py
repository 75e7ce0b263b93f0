"""Session workspaces under ``CTS_WORKSPACE_ROOT``, shared by the three executors."""

from __future__ import annotations

from pathlib import Path

from cts_contracts.naming import workspace_relpath

__all__ = ["WorkspaceEscape", "resolve_workspace", "workspace_relpath"]


class WorkspaceEscape(ValueError):
    """A workspace path that would leave the root."""


def resolve_workspace(root: Path, relative: str) -> Path:
    """The absolute workspace directory; refuses anything that resolves outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        raise WorkspaceEscape(f"workspace {relative!r} is outside the workspace root")
    return target
