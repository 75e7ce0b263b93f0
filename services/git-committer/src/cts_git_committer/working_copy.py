"""git commands on one session's working copy, always naming its git directory and work
tree explicitly (never discovering them from the ``.git`` file the work tree holds)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from cts_git_committer.git_env import GitEnvironment
from cts_git_committer.git_process import Git, GitOutput
from cts_git_committer.layout import SessionPaths
from cts_git_committer.remote_url import RemoteUrl

# `git log` placeholders; %x00 separates fields.
_COMMIT_FORMAT = "%P%x00%(trailers:key=Cts-Session,valueonly,separator=%x2C)"


class WorkingCopy:
    def __init__(self, git: Git, env: GitEnvironment, paths: SessionPaths) -> None:
        self.git = git
        self.paths = paths
        self._env = env
        self._where = {"GIT_DIR": str(paths.gitdir), "GIT_WORK_TREE": str(paths.workspace)}

    def local_env(self, **extra: str) -> dict[str, str]:
        return self._env.local() | self._where | extra

    def remote_env(self, url: RemoteUrl) -> dict[str, str]:
        return self._env.remote(url) | self._where

    async def run(
        self,
        operation: str,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        check: bool = True,
        **extra_env: str,
    ) -> GitOutput:
        return await self.git.run(
            operation,
            args,
            env=self.local_env(**extra_env),
            cwd=self.paths.workspace,
            stdin=stdin,
            check=check,
        )

    async def text(self, *args: str) -> str:
        return (await self.run(args[0], args)).text

    async def branch_tip(self, branch: str) -> str | None:
        output = await self.run(
            "rev-parse",
            ["rev-parse", "-q", "--verify", f"refs/heads/{branch}^{{commit}}"],
            check=False,
        )
        return output.text or None if output.returncode == 0 else None

    async def head_ref(self) -> str | None:
        """The ref HEAD names (``git symbolic-ref HEAD``), read from the git directory's
        ``HEAD`` file, which only CTS's git writes; None when detached or unreadable."""
        try:
            text = await asyncio.to_thread((self.paths.gitdir / "HEAD").read_text, "utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        ref = text.removeprefix("ref:").strip() if text.startswith("ref:") else ""
        return ref if ref.startswith("refs/") else None

    async def parents_and_sessions(self, commit: str) -> tuple[list[str], list[str]]:
        """A commit's parents and its ``Cts-Session`` trailer values."""
        out = await self.text("log", "-1", f"--format={_COMMIT_FORMAT}", commit, "--")
        parents, _, sessions = out.partition("\x00")
        return parents.split(), [s.strip() for s in sessions.split(",") if s.strip()]

    async def changed_paths(self) -> list[bytes]:
        """Paths that differ from HEAD in the index or the work tree, untracked included."""
        out = await self.run(
            "status",
            [
                "status",
                "--porcelain=v1",
                "-z",
                "--no-renames",
                "--untracked-files=all",
                "--ignore-submodules=none",
            ],
        )
        return [entry[3:] for entry in out.stdout.split(b"\x00") if len(entry) > 3]

    async def files_between(self, old: str, new: str) -> list[str]:
        out = await self.run(
            "diff-tree",
            ["diff-tree", "-r", "--no-commit-id", "--name-only", "-z", "--no-renames", old, new],
        )
        return [p.decode("utf-8", "replace") for p in out.stdout.split(b"\x00") if p]

    @property
    def workspace(self) -> Path:
        return self.paths.workspace
