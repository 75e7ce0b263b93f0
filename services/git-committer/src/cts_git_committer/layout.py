"""Where a session's files live under ``CTS_WORKSPACE_ROOT``.

``<root>/<account>/<project>/<session>/``        the working tree (shared with the other executors)
``<root>/.git-committer/repos/<a>/<p>/<s>.git``   its git directory, outside the working tree
``<root>/.git-committer/finished/<a>/<p>/<s>``    marks a finished session awaiting removal
``<root>/.git-committer/trash/<entry>/``          removed sessions' directories, deleted soon
``<root>/.mirrors/<a>/<p>/<url key>.git``         the project's bare mirror of the remote

The git directory is kept out of the working tree because generated tests (untrusted code)
run in the working tree: they must not be able to plant hooks, rewrite ``.git/config`` or
move the session branch. The working tree holds only a ``.git`` file pointing at it; the
committer never reads that file, it names the git directory itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cts_contracts.naming import workspace_relpath
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.failures import StepFailure
from cts_git_committer.remote_url import RemoteUrl
from cts_runtime.workspace import WorkspaceEscape, resolve_workspace

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
STATE_FILE = "cts-session.json"


@dataclass(frozen=True)
class SessionPaths:
    workspace: Path
    gitdir: Path
    lock: Path
    finished_marker: Path

    @property
    def state_file(self) -> Path:
        return self.gitdir / STATE_FILE


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.private = self.root / ".git-committer"
        self.finished = self.private / "finished"
        self.trash = self.private / "trash"
        self.mirrors = self.root / ".mirrors"

    def session(self, account_id: str, project_id: str, session_id: str) -> SessionPaths:
        """Every segment is one safe path component, so nothing resolves outside the root."""
        for value in (account_id, project_id, session_id):
            if not _SEGMENT.match(value) or ".." in value:
                raise WorkspaceEscape(f"unsafe path segment {value!r}")
        relative = workspace_relpath(account_id, project_id, session_id)
        return SessionPaths(
            workspace=resolve_workspace(self.root, relative),
            gitdir=self.private / "repos" / account_id / project_id / f"{session_id}.git",
            lock=self.private / "repos" / account_id / project_id / f"{session_id}.lock",
            finished_marker=self.finished / account_id / project_id / session_id,
        )

    def for_command(self, command: StepRequestedData) -> SessionPaths:
        expected = workspace_relpath(command.account_id, command.project_id, command.session_id)
        if command.workspace != expected:
            raise StepFailure(
                "bad workspace",
                f"workspace {command.workspace!r} is not this session's ({expected!r})",
            )
        try:
            return self.session(command.account_id, command.project_id, command.session_id)
        except WorkspaceEscape as exc:
            raise StepFailure("bad workspace", str(exc)) from None

    def mirror(self, account_id: str, project_id: str, url: RemoteUrl) -> Path:
        return self.mirrors / account_id / project_id / f"{url.key}.git"

    def mirror_lock(self, account_id: str, project_id: str) -> Path:
        return self.mirrors / account_id / project_id / ".lock"
