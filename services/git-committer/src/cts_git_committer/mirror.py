"""The project's bare mirror of its remote: a repeat session fetches only new objects and
clones locally (hard links) instead of downloading the repository again."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

from cts_git_committer.backoff import Backoff
from cts_git_committer.failures import GitError, StepFailure, failure_from
from cts_git_committer.git_env import GitEnvironment
from cts_git_committer.git_process import Git
from cts_git_committer.layout import Layout
from cts_git_committer.locks import Locks
from cts_git_committer.remote_url import RemoteUrl
from cts_git_committer.repository_config import check_repository_config

REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_HEX = re.compile(r"^[0-9a-f]{7,64}$")


class Mirrors:
    def __init__(self, layout: Layout, locks: Locks, env: GitEnvironment, backoff: Backoff):
        self._layout = layout
        self._locks = locks
        self._env = env
        self._backoff = backoff

    @contextlib.asynccontextmanager
    async def updated(
        self, git: Git, *, account_id: str, project_id: str, url: RemoteUrl
    ) -> AsyncIterator[Path]:
        """Fetch the remote into the mirror and yield it, still locked: two sessions of one
        project may initialize at once, and a clone must not read a mirror mid-fetch."""
        path = self._layout.mirror(account_id, project_id, url)
        async with self._locks.hold(self._layout.mirror_lock(account_id, project_id)):
            # A directory this call creates holds what init wrote, nothing else to check.
            created = not await asyncio.to_thread(path.exists)
            if not await asyncio.to_thread((path / "HEAD").is_file):
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
                await git.run(
                    "init",
                    ["init", "-q", "--bare", "--template=", str(path)],
                    env=self._env.local(),
                )
            if not created:
                await check_repository_config(git, self._env.local(), path)
            # The URL is given on the command line each time, never stored in the mirror.
            fetch = [
                "--git-dir=" + str(path),
                "fetch",
                "-q",
                "--prune",
                "--no-write-fetch-head",
                "--",
                url.url,
                *REFSPECS,
            ]
            env = self._env.remote(url)
            try:
                await self._backoff.run(lambda: git.run("fetch", fetch, env=env, network=True))
            except GitError as error:
                raise failure_from(error, what=url.url) from None
            yield path


async def resolve_ref(git: Git, env: dict[str, str], gitdir: Path, ref: str) -> str:
    """A branch, then a tag, then (if it looks like one) a commit id already in the mirror."""
    candidates = [f"refs/heads/{ref}", f"refs/tags/{ref}"]
    if _HEX.match(ref):
        candidates.append(ref)
    for candidate in candidates:
        sha = await commit_of(git, env, gitdir, candidate)
        if sha is not None:
            return sha
    raise StepFailure(
        "ref not found",
        f"base_ref {ref!r} is not a branch, tag or known commit of the repository",
    )


async def commit_of(git: Git, env: dict[str, str], gitdir: Path, rev: str) -> str | None:
    output = await git.run(
        "rev-parse",
        [
            "--git-dir=" + str(gitdir),
            "rev-parse",
            "-q",
            "--verify",
            "--end-of-options",
            f"{rev}^{{commit}}",
        ],
        env=env,
        check=False,
    )
    return output.text if output.returncode == 0 and output.text else None
