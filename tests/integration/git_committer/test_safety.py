"""The target repository cannot make the committer run its code, write outside the
workspace, or reach a transport it should not; failures come back readable."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from cts_contracts import Repository, ResultStatus
from cts_git_committer.service import GitSteps

from .conftest import BRANCH, Remote, Session, committer_settings, git

HOOKS = (
    "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout",
    "post-merge", "pre-push", "reference-transaction", "post-index-change", "post-rewrite",
    "pre-receive", "update", "post-receive", "post-update", "push-to-checkout", "fsmonitor",
)  # fmt: skip


def _plant_hooks(directory: Path, marker_dir: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        hook = directory / name
        hook.write_text(f'#!/bin/sh\ntouch "{marker_dir}/{name}"\ncat >/dev/null 2>&1\nexit 0\n')
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


async def test_hooks_of_the_target_repository_never_run(
    steps: GitSteps, remote: Remote, workspace_root: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    markers = tmp_path / "markers"
    markers.mkdir()
    # Shipped in the repository, as projects using core.hooksPath=.githooks do.
    remote.commit_on("main", {".githooks/pre-commit": "#!/bin/sh\ntouch /tmp/cts-pwned\n"})
    # In the remote itself (a local push would run them), and as a template git could copy.
    _plant_hooks(remote.path / "hooks", markers)
    _plant_hooks(tmp_path / "template" / "hooks", markers)
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "template"))
    session = Session(remote.url)
    assert (await steps(session.initialize)).status is ResultStatus.OK
    assert sorted(p.name for p in markers.iterdir()) == [], "a hook ran during Initialize"

    # Untrusted code between the steps plants hooks in the session's git dir and the work tree.
    workspace = session.workspace(workspace_root)
    gitdir = Path((workspace / ".git").read_text().split(":", 1)[1].strip())
    _plant_hooks(gitdir / "hooks", markers)
    _plant_hooks(workspace / ".githooks", markers)
    session.write_session_files(workspace_root)
    done = await steps(session.finalize())

    assert done.status is ResultStatus.OK, done.error_message
    assert remote.tip(BRANCH) == done.data.commit_sha  # type: ignore[union-attr]
    assert sorted(p.name for p in markers.iterdir()) == [], "a hook ran during Finalize"

    # With config pointing git at them too, Finalize refuses the git directory outright.
    git("config", "core.hooksPath", str(workspace / ".githooks"), cwd=workspace,
        GIT_DIR=str(gitdir))  # fmt: skip
    git("config", "core.fsmonitor", str(workspace / ".githooks" / "fsmonitor"), cwd=workspace,
        GIT_DIR=str(gitdir))  # fmt: skip
    again = await steps(session.finalize())
    assert (again.status, again.summary) == (ResultStatus.ERROR, "repository configuration altered")
    assert "core.fsmonitor, core.hookspath" in (again.error_message or "")
    assert sorted(p.name for p in markers.iterdir()) == [], "a hook ran during Finalize"
    # Control: the same hooks are live; plain git runs them, here and in the remote.
    git("commit", "-q", "--allow-empty", "-m", "control", cwd=workspace, GIT_DIR=str(gitdir))
    git("push", "-q", remote.url, "HEAD:refs/heads/control", cwd=workspace, GIT_DIR=str(gitdir))
    assert {"pre-commit", "pre-push", "pre-receive", "post-receive"} <= {
        p.name for p in markers.iterdir()
    }


BAD_URLS = [
    "-uploadpack=touch /tmp/cts-pwned",
    "--upload-pack=touch /tmp/cts-pwned",
    "ext::sh -c touch% /tmp/cts-pwned",
    "ext::sh",
    "fd::17",
    "http://example.com/repo.git",
    "git://example.com/repo.git",
    "ftp://example.com/repo.git",
    "gopher://example.com/repo.git",
    "/srv/repositories/shop.git",
    "shop.git",
    "ssh://-oProxyCommand=touch%20/tmp/cts-pwned/x",
    "-oProxyCommand=touch /tmp/cts-pwned:x",
    "https://example.com/repo.git#frag",
    "ssh://git:secret@example.com/repo.git",
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_bad_urls_are_rejected_before_git_runs(
    steps: GitSteps, url: str, workspace_root: Path
) -> None:
    session = Session("https://example.com/placeholder.git")
    # The contract refuses some of these already; the committer must refuse them on its own.
    forged = Repository.model_construct(url=url, base_ref="main", push=True)
    command = session.initialize.model_copy(update={"repository": forged})
    outcome = await steps(command)
    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "repository URL rejected", outcome.error_message
    assert not (workspace_root / ".mirrors").exists()
    assert not await asyncio.to_thread(Path("/tmp/cts-pwned").exists)


async def test_file_urls_need_the_setting(remote: Remote, workspace_root: Path) -> None:
    async with GitSteps(committer_settings(workspace_root, git_allow_file_urls=False)) as steps:
        outcome = await steps(Session(remote.url).initialize)
    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message is not None
    assert "'file' is not allowed (allowed: https, ssh)" in outcome.error_message


async def test_a_non_fast_forward_push_is_an_error(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    assert (await steps(session.initialize)).status is ResultStatus.OK
    theirs = remote.commit_on(BRANCH, {"notes.txt": "someone was faster\n"})
    session.write_session_files(workspace_root)
    outcome = await steps(session.finalize())
    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "push rejected (non-fast-forward)"
    assert "non-fast-forward" in (outcome.error_message or "")
    assert remote.tip(BRANCH) == theirs


async def test_an_existing_session_branch_is_continued(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    earlier = remote.commit_on(BRANCH, {"test/support/earlier.ex": "# an earlier session\n"})
    session = Session(remote.url)
    init = await steps(session.initialize)
    assert init.status is ResultStatus.OK
    assert init.data.base_sha == earlier  # type: ignore[union-attr]
    assert init.summary.startswith(f"continuing existing branch {BRANCH}")
    assert (session.workspace(workspace_root) / "test/support/earlier.ex").is_file()
    session.write_session_files(workspace_root)
    done = await steps(session.finalize())
    assert done.status is ResultStatus.OK, done.error_message
    assert remote.git("rev-parse", f"{BRANCH}^") == earlier
    assert remote.tip(BRANCH) == done.data.commit_sha  # type: ignore[union-attr]


async def test_unknown_ref_and_missing_repository_are_readable_errors(
    steps: GitSteps, remote: Remote, tmp_path: Path
) -> None:
    no_ref = await steps(Session(remote.url, base_ref="release-9").initialize)
    assert (no_ref.status, no_ref.summary) == (ResultStatus.ERROR, "ref not found")
    assert "'release-9'" in (no_ref.error_message or "")
    missing = await steps(Session(f"file://{tmp_path}/nowhere.git").initialize)
    assert (missing.status, missing.summary) == (ResultStatus.ERROR, "repository not found")


async def test_a_symlinked_test_directory_is_refused(
    steps: GitSteps, remote: Remote, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    source = tmp_path / "symlinker"
    git("clone", "-q", "--template=", remote.url, str(source))
    git("rm", "-q", "-r", "test", cwd=source)
    (source / "test").symlink_to(outside)
    git("add", "test", cwd=source)
    git("commit", "-q", "-m", "test is a symlink", cwd=source)
    git("push", "-q", "origin", "HEAD:main", cwd=source)

    outcome = await steps(Session(remote.url).initialize)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "unusable test directory")
    assert list(outside.iterdir()) == []


async def test_a_workspace_that_is_not_the_sessions_is_refused(
    steps: GitSteps, remote: Remote
) -> None:
    command = Session(remote.url).initialize
    forged = command.model_copy(update={"workspace": "acme/shop/another-session"})
    outcome = await steps(forged)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "bad workspace")
