"""Session workspaces under ``CTS_WORKSPACE_ROOT``, shared by the three executors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cts_contracts.naming import workspace_relpath
from cts_runtime.executor import StepOutcome

__all__ = ["WorkspaceEscape", "resolve_workspace", "step_workspace", "workspace_relpath"]


class WorkspaceEscape(ValueError):
    """A workspace path that would leave the root."""


def resolve_workspace(root: Path, relative: str) -> Path:
    """The absolute workspace directory; refuses anything that resolves outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        raise WorkspaceEscape(f"workspace {relative!r} is outside the workspace root")
    return target


async def step_workspace(root: Path, relative: str) -> Path | StepOutcome:
    """The session's existing workspace, or the answer a step gives when it cannot have it:
    ``error`` for a path outside the root, ``transient`` for a missing directory (Initialize
    made it; a missing one is a volume problem worth a bounded retry)."""
    try:
        workspace = resolve_workspace(root, relative)
    except WorkspaceEscape as exc:
        return StepOutcome.error("bad workspace", str(exc))
    if not await asyncio.to_thread(workspace.is_dir):
        return StepOutcome.transient(f"workspace {relative} does not exist")
    return workspace
