"""Finalize: one commit with exactly the session's files on the session branch, then push.

The commit is built with plumbing on a private index that starts from the session's start
commit, so nothing staged by anyone else, no hook and no filter or signing program from a
configuration can get into it. The branch moves by compare-and-set from the start commit:
of two deliveries of one Finalize, one commit wins and the other answers with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from cts_contracts import FinalizeData
from cts_contracts.step_completed import MAX_LISTED
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.changes import Selection, select
from cts_git_committer.commit_message import commit_message
from cts_git_committer.context import StepContext
from cts_git_committer.failures import StepFailure
from cts_git_committer.push import push
from cts_git_committer.repository_config import check_repository_config
from cts_git_committer.state import SessionState, load_state
from cts_git_committer.working_copy import WorkingCopy
from cts_runtime import beneath
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger

log = get_logger(__name__)


async def finalize(command: StepRequestedData, ctx: StepContext) -> StepOutcome:
    paths, url, branch = ctx.layout.for_command(command), ctx.url(command), ctx.branch(command)
    async with ctx.locks.hold(paths.lock):
        state = await asyncio.to_thread(load_state, paths.state_file)
        if state is None or not await asyncio.to_thread(paths.workspace.is_dir):
            # Initialize made it; a missing one is a volume problem worth a bounded retry.
            raise StepFailure(
                "workspace missing",
                f"no initialized working copy for {command.workspace}",
                transient=True,
            )
        if (state.session_id, state.remote_url, state.branch) != (
            command.session_id,
            url.url,
            branch,
        ):
            raise StepFailure(
                "workspace mismatch",
                "the working copy was initialized for a different session, repository or branch",
            )
        repo = WorkingCopy(ctx.git(url), ctx.env, paths)
        await check_repository_config(repo.git, ctx.env.local(), paths.gitdir)
        if await repo.head_ref() != f"refs/heads/{branch}":
            raise StepFailure(
                "working copy is not on the session branch", f"HEAD no longer points at {branch}"
            )
        await repo.run("reset", ["reset", "-q"])  # index := HEAD, dropping anyone's staging
        selection = select(
            await repo.changed_paths(),
            test_file=command.component.test_file,
            fixture_file=command.component.fixture_file,
            written=command.files or (),
            is_regular_file=partial(beneath.is_regular_file, paths.workspace),
        )
        commit, created, listed = await _commit(repo, command, state, selection)
        unchanged = commit == state.start_sha
        if listed is not None:
            files = listed
        elif unchanged:
            files = [
                p
                for p in (command.component.test_file, command.component.fixture_file)
                if await _holds(repo, commit, p)
            ]
        else:
            files = await repo.files_between(state.start_sha, commit)
        pushed = False
        if command.repository.push:  # under the lock: cleanup must not remove it mid-push
            await push(repo, url, commit=commit, branch=branch, backoff=ctx.backoff)
            pushed = True
    verb = (
        "committed"
        if created
        else "unchanged: the branch already holds"
        if unchanged
        else "already committed (redelivered)"
    )
    summary = f"{verb} {len(files)} file(s) as {commit[:12]} on {branch}" + (
        " and pushed" if pushed else ""
    )
    if selection.ignored or selection.unlistable:
        summary += f"; ignored {len(selection.ignored) + selection.unlistable} other change(s)"
    log.info("finalized", commit=commit, created=created, pushed=pushed, files=len(files))
    data = FinalizeData(
        commit_sha=commit,
        branch=branch,
        files=files[:MAX_LISTED],
        ignored=selection.ignored[:MAX_LISTED],
        pushed=pushed,
    )
    return StepOutcome.ok(summary, data)


async def _commit(
    repo: WorkingCopy, command: StepRequestedData, state: SessionState, selection: Selection
) -> tuple[str, bool, list[str] | None]:
    """The session commit, whether this call created it, and (when it did) its files.

    The first delivery is the common case: it builds the commit and moves the branch by
    compare-and-set from the start commit without looking at the branch first; only when
    there is nothing to commit, or the compare-and-set fails, is the branch's tip read."""
    tree = await _tree(repo, state.start_sha, selection.commit)
    files = await _tree_files(repo, state.start_sha, tree)
    if not files:  # the start commit's tree
        tip = await repo.branch_tip(state.branch)
        if tip == state.start_sha:
            if await _holds(repo, state.start_sha, command.component.test_file):
                # A continued branch already holds exactly these tests (e.g. a repeated
                # session): the goal is met, and an empty commit would only add noise.
                return state.start_sha, False, None
            raise StepFailure(
                "nothing to commit",
                "neither the test file, the fixture file nor anything under test/support/ changed",
            )
    else:
        message = commit_message(
            command.component,
            files,
            session_id=command.session_id,
            account_id=command.account_id,
            project_id=command.project_id,
        )
        commit = (
            await repo.run(
                "commit-tree",
                ["commit-tree", "--no-gpg-sign", tree, "-p", state.start_sha],
                stdin=message.encode(),
            )
        ).text
        moved = await repo.run(
            "update-ref",
            [
                "update-ref",
                "-m",
                "cts: finalize",
                f"refs/heads/{state.branch}",
                commit,
                state.start_sha,
            ],
            check=False,
        )
        if moved.returncode == 0:
            # The index still holds the start commit: nothing reads it again (a redelivered
            # Finalize resets it first, and the session ends here).
            return commit, True, files
        # The branch is not at the start commit: an earlier delivery committed (the commit
        # just built is left unreferenced in this session's git directory).
        tip = await repo.branch_tip(state.branch)
    if tip is None or not await _is_session_commit(repo, tip, state):
        raise StepFailure(
            "session branch moved",
            f"{state.branch} is no longer at the commit "
            "the session started from, and its tip is not this session's commit",
        )
    await repo.run("reset", ["reset", "-q"])
    if await _tree(repo, tip, selection.commit) != await repo.text("rev-parse", f"{tip}^{{tree}}"):
        raise StepFailure(
            "already committed",
            f"this session's commit {tip[:12]} is on the "
            "branch but its files changed since; CTS makes one commit per session",
        )
    return tip, False, None


async def _tree(repo: WorkingCopy, parent: str, paths: list[str]) -> str:
    """The tree of ``parent`` with ``paths`` taken from the work tree, via a private index."""
    index = repo.paths.gitdir / "cts-finalize.index"
    with contextlib.suppress(FileNotFoundError):
        await asyncio.to_thread(index.unlink)
    try:
        await repo.run("read-tree", ["read-tree", parent], GIT_INDEX_FILE=str(index))
        if paths:
            listing = b"".join(path.encode() + b"\x00" for path in paths)
            await repo.run(
                "update-index",
                ["update-index", "--add", "-z", "--stdin"],
                stdin=listing,
                GIT_INDEX_FILE=str(index),
            )
        return (await repo.run("write-tree", ["write-tree"], GIT_INDEX_FILE=str(index))).text
    finally:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(index.unlink)


async def _tree_files(repo: WorkingCopy, old: str, tree: str) -> list[str]:
    return await repo.files_between(f"{old}^{{tree}}", tree)


async def _is_session_commit(repo: WorkingCopy, commit: str, state: SessionState) -> bool:
    parents, sessions = await repo.parents_and_sessions(commit)
    return parents == [state.start_sha] and state.session_id in sessions


async def _holds(repo: WorkingCopy, commit: str, path: str) -> bool:
    """Whether ``commit`` contains ``path``."""
    found = await repo.run("cat-file", ["cat-file", "-e", f"{commit}:{path}"], check=False)
    return found.returncode == 0
