"""What Initialize decided, kept beside the session's git directory for Finalize.

Finalize needs the commit the session started from to tell "our commit is already there"
(a redelivered Finalize) from "someone moved the branch"; the command does not carry it.
Writing the file is Initialize's last act, so its presence means the working copy is whole.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from cts_git_committer.design_inputs import Settled


class SessionState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    account_id: str
    project_id: str
    branch: str
    base_ref: str
    base_sha: str
    start_sha: str
    """The commit the session builds on: the base, or the existing session branch's tip."""
    continued: bool
    remote_url: str
    """Without credentials (see ``RemoteUrl.url``)."""
    initialized_at: datetime
    settled: Settled | None = None
    """What Initialize made of the design and the expectation (a redelivery answers it)."""


def load_state(path: Path) -> SessionState | None:
    """The state, or None when Initialize never finished (missing or unreadable file)."""
    try:
        return SessionState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def save_state(path: Path, state: SessionState) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.model_dump_json(indent=2), encoding="utf-8")
    os.replace(temporary, path)
