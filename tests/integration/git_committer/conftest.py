"""Real git repositories for the git-committer: a bare "remote" with history, the committer's
steps opened on a private workspace root, and commands for one session at a time."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import Repository, Step
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.service import GitSteps
from cts_git_committer.settings import GitCommitterSettings
from cts_testing.factories import step_request
from cts_testing.git_https import plain_git_env as git_without_configuration

TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"
BRANCH = "component-test-session-for-userrepository"


DESIGNS = {
    "docs/design/my_app/accounts/user_repository.md": (
        '# UserRepository\n\n## Test Assertions\n\n- describe "get/1"\n  - test "finds it"\n'
    ),
    "docs/design/my_app/accounts.md": "# Accounts\n\nThe accounts context.\n",
}
"""The designs Initialize requires at the base ref for the default component."""


def plain_git_env(**extra: str) -> dict[str, str]:
    """What the tests themselves run git with: no user or system configuration."""
    return git_without_configuration(
        GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com",
        **extra,
    )  # fmt: skip


def git(*args: str, cwd: Path | None = None, **env: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=plain_git_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout.strip()


def build_sample_repository(bare: Path, *, files: int = 20, commits: int = 3) -> None:
    """A bare repository shaped like a small Mix project, with ``commits`` commits on main."""
    source = bare.with_name(bare.name + "-src")
    git("init", "-q", "-b", "main", "--template=", str(source))
    for number in range(commits):
        for index in range(files // commits + 1):
            path = source / "lib" / "my_app" / f"module_{number}_{index}.ex"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"defmodule MyApp.M{number}x{index} do\n  def v, do: {number}\nend\n")
        (source / "mix.exs").write_text(f"# version {number}\n")
        (source / "test" / "support").mkdir(parents=True, exist_ok=True)
        (source / "test" / "support" / "data_case.ex").write_text(f"# data case {number}\n")
        (source / "README.md").write_text(f"# sample, revision {number}\n")
        for relative, text in DESIGNS.items():
            (source / relative).parent.mkdir(parents=True, exist_ok=True)
            (source / relative).write_text(text)
        git("add", "-A", cwd=source)
        git("commit", "-q", "-m", f"revision {number}", cwd=source)
    git("clone", "-q", "--bare", "--template=", str(source), str(bare))


@dataclass
class Remote:
    """A bare repository standing in for the user's remote, reachable as a file:// URL."""

    path: Path

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def tip(self, branch: str) -> str | None:
        result = subprocess.run(
            ["git", "--git-dir", str(self.path), "rev-parse", "-q", "--verify",
             f"refs/heads/{branch}"],
            env=plain_git_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        return result.stdout.strip() or None

    def git(self, *args: str) -> str:
        return git("--git-dir", str(self.path), *args)

    def commit_on(self, branch: str, files: dict[str, str], *, start: str = "main") -> str:
        """Someone else commits on ``branch`` (created from ``start`` if missing) and pushes."""
        clone = self.path.with_name(f"other-{uuid.uuid4().hex[:6]}")
        git("clone", "-q", "--template=", self.url, str(clone))
        base = branch if self.tip(branch) else start
        git("checkout", "-q", "-B", branch, f"origin/{base}", cwd=clone)
        for relative, text in files.items():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            (clone / relative).write_text(text)
        git("add", "-A", cwd=clone)
        git("commit", "-q", "-m", "someone else's change", cwd=clone)
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=clone)
        return git("rev-parse", "HEAD", cwd=clone)


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    bare = tmp_path / "remote" / "shop.git"
    bare.parent.mkdir()
    build_sample_repository(bare)
    return Remote(bare)


@pytest.fixture
def workspace_root(tmp_path: Path) -> Path:
    root = tmp_path / "workspaces"
    root.mkdir()
    return root


def committer_settings(workspace_root: Path, **overrides: Any) -> GitCommitterSettings:
    values: dict[str, Any] = {
        "workspace_root": workspace_root,
        "git_allow_file_urls": True,
        "git_retry_delay_s": 0.01,
        "git_retry_max_delay_s": 0.05,
        "git_command_timeout_s": 30,
        "log_format": "console",
    }
    return GitCommitterSettings(**(values | overrides))


@pytest.fixture
def settings(workspace_root: Path) -> GitCommitterSettings:
    return committer_settings(workspace_root)


@pytest.fixture
async def steps(settings: GitCommitterSettings) -> AsyncIterator[GitSteps]:
    async with GitSteps(settings) as opened:
        yield opened


SUPPORT_FILE = "test/support/factory_helpers.ex"
WRITTEN = (TEST_FILE, FIXTURE_FILE, SUPPORT_FILE)
"""What ``write_session_files`` writes: the agent's files of the session."""


@dataclass
class Session:
    """Commands of one session: Initialize, then Finalize, sharing every id."""

    url: str
    push: bool = True
    base_ref: str = "main"
    initialize: StepRequestedData = field(init=False)

    def __post_init__(self) -> None:
        # Unvalidated: the contract refuses a URL with credentials, and the committer must
        # still keep them secret when one reaches it anyway (defence in depth).
        repository = Repository.model_construct(url=self.url, base_ref=self.base_ref,
                                                push=self.push)  # fmt: skip
        self.initialize = step_request(Step.INITIALIZE).model_copy(
            update={"repository": repository}
        )

    def finalize(self, files: tuple[str, ...] = WRITTEN) -> StepRequestedData:
        """A Finalize command naming the files the agent wrote, as the orchestrator sends it;
        each call is a new interaction of the same session."""
        return self.initialize.model_copy(
            update={
                "step": Step.FINALIZE,
                "interaction_id": str(uuid.uuid4()),
                "files": list(files),
            }
        )

    def workspace(self, root: Path) -> Path:
        return root / self.initialize.workspace

    def write_session_files(self, root: Path) -> None:
        """What the agent would write: the test, the fixture and a support helper."""
        workspace = self.workspace(root)
        (workspace / TEST_FILE).write_text("defmodule MyApp.Accounts.UserRepositoryTest do\nend\n")
        (workspace / FIXTURE_FILE).write_text("defmodule MyApp.AccountsFixtures do\nend\n")
        (workspace / "test" / "support" / "factory_helpers.ex").write_text("# helpers\n")
