"""Initialize: a working copy of the repository on the session branch, ready for the agent.

If the session branch already exists on the remote (an earlier session for the same
component), the session continues it: the working copy starts at its tip and Finalize adds
one commit on top, pushed as a fast-forward. Nothing on the remote is ever rewritten.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime

from cts_contracts import InitializeData
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.context import StepContext
from cts_git_committer.design_inputs import BaseTree, Settled, settle
from cts_git_committer.failures import StepFailure
from cts_git_committer.jail import ensure_directory
from cts_git_committer.layout import SessionPaths
from cts_git_committer.mirror import commits_of, first_commit, link_objects, ref_candidates
from cts_git_committer.state import SessionState, load_state, save_state
from cts_git_committer.working_copy import WorkingCopy
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger

log = get_logger(__name__)


async def initialize(command: StepRequestedData, ctx: StepContext) -> StepOutcome:
    paths, url, branch = ctx.layout.for_command(command), ctx.url(command), ctx.branch(command)
    git = ctx.git(url)
    async with ctx.locks.hold(paths.lock):
        state = await asyncio.to_thread(load_state, paths.state_file)
        if state is not None and await asyncio.to_thread(paths.workspace.is_dir):
            if (state.session_id, state.remote_url, state.branch) != (
                command.session_id,
                url.url,
                branch,
            ):
                raise StepFailure(
                    "workspace belongs to another initialization",
                    "this session's workspace was initialized for a different repository or "
                    "branch; it is left untouched",
                )
            # A redelivered command: the agent may already be writing here, so keep it all.
            return StepOutcome.ok(
                f"{branch} already initialized at {state.start_sha[:12]} (redelivered)",
                _data(branch, state.start_sha, state.settled),
            )
        # No state: nothing or an interrupted attempt is here; start clean.
        await asyncio.to_thread(_remove, paths)
        local = ctx.env.local()
        async with ctx.mirrors.updated(
            git, account_id=command.account_id, project_id=command.project_id, url=url
        ) as mirror:
            base_ref = command.repository.base_ref
            *bases, existing = await commits_of(
                git, local, mirror, [*ref_candidates(base_ref), f"refs/heads/{branch}"]
            )
            base_sha = first_commit(base_ref, bases)
            # Before any workspace or model call: a session without a usable design ends here.
            settled = await settle(BaseTree(git, local, mirror, base_sha), command)
            await asyncio.to_thread(paths.gitdir.parent.mkdir, parents=True, exist_ok=True)
            await git.run(
                "init",
                ["init", "-q", "--template=", f"--separate-git-dir={paths.gitdir}",
                 str(paths.workspace)],
                env=local,
            )  # fmt: skip
            # What a local clone would do, without its two processes and ref transfer: the
            # working copy needs the mirror's objects (hard links: nothing copied, and the
            # mirror's later repacks cannot take them away), not its refs or its remote.
            await asyncio.to_thread(link_objects, mirror / "objects", paths.gitdir / "objects")
        start_sha = existing or base_sha
        repo = WorkingCopy(git, ctx.env, paths)
        await repo.run("checkout", ["checkout", "-q", "-B", branch, start_sha, "--"])
        component = command.component
        for path in (component.test_file, component.fixture_file):
            parent = path.rpartition("/")[0]
            if parent:
                await asyncio.to_thread(ensure_directory, paths.workspace, parent)
        state = SessionState(
            session_id=command.session_id,
            account_id=command.account_id,
            project_id=command.project_id,
            branch=branch,
            base_ref=command.repository.base_ref,
            base_sha=base_sha,
            start_sha=start_sha,
            continued=existing is not None,
            remote_url=url.url,
            initialized_at=datetime.now(UTC),
            settled=settled,
        )
        await asyncio.to_thread(save_state, paths.state_file, state)
    if existing is not None:
        summary = f"continuing existing branch {branch} at {start_sha[:12]}"
    else:
        summary = f"created {branch} from {command.repository.base_ref} at {start_sha[:12]}"
    summary += (
        f"; {settled.design_file} lists {settled.test_assertions} test(s); "
        f"expect {settled.expect.value}"
    )
    log.info("initialized", branch=branch, start_sha=start_sha, continued=existing is not None,
             design_file=settled.design_file, expect=settled.expect.value)  # fmt: skip
    return StepOutcome.ok(summary, _data(branch, start_sha, settled))


def _data(branch: str, start_sha: str, settled: Settled | None) -> InitializeData:
    if settled is None:  # a state written before Initialize settled its inputs
        return InitializeData(branch=branch, base_sha=start_sha)
    return InitializeData(
        branch=branch,
        base_sha=start_sha,
        expect=settled.expect,
        design_file=settled.design_file,
        design_format=settled.design_format,
        parent_design_file=settled.parent_design_file,
        test_assertions=settled.test_assertions,
        warnings=settled.warnings,
    )


def _remove(paths: SessionPaths) -> None:
    shutil.rmtree(paths.workspace, ignore_errors=True)
    shutil.rmtree(paths.gitdir, ignore_errors=True)
