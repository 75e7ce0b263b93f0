"""Initialize + Finalize on a real bare repository: one commit, only the session's files,
the trailers; a redelivered Finalize answers the same commit and never makes a second."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from cts_contracts import FinalizeData, InitializeData, ResultStatus
from cts_git_committer.service import GitSteps
from cts_git_committer.settings import GitCommitterSettings

from .conftest import BRANCH, FIXTURE_FILE, TEST_FILE, Remote, Session, git

SUPPORT_FILE = "test/support/factory_helpers.ex"


def _ok(outcome: Any) -> Any:
    assert outcome.status is ResultStatus.OK, (outcome.summary, outcome.error_message)
    return outcome.data


async def test_round_trip_leaves_one_commit_with_only_the_session_files(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    main = remote.tip("main")
    init = _ok(await steps(session.initialize))
    assert isinstance(init, InitializeData)
    assert (init.branch, init.base_sha) == (BRANCH, main)
    workspace = session.workspace(workspace_root)
    assert (workspace / "mix.exs").is_file()
    assert (workspace / TEST_FILE).parent.is_dir()
    assert (workspace / FIXTURE_FILE).parent.is_dir()
    assert not (workspace / ".git").is_dir(), "the git directory lives outside the work tree"

    session.write_session_files(workspace_root)
    (workspace / "mix.exs").write_text("# changed by a test run\n")  # tracked, not allowed
    (workspace / "erl_crash.dump").write_text("crash\n")  # untracked, not allowed
    (workspace / "README.md").unlink()  # deleted, not allowed
    done = _ok(await steps(session.finalize()))
    assert isinstance(done, FinalizeData)

    assert done.pushed is True
    assert done.branch == BRANCH
    assert done.files == sorted([FIXTURE_FILE, SUPPORT_FILE, TEST_FILE])
    assert done.ignored == ["README.md", "erl_crash.dump", "mix.exs"]
    assert remote.tip(BRANCH) == done.commit_sha
    assert remote.git("rev-list", "--count", f"main..{BRANCH}") == "1"
    assert remote.git("rev-parse", f"{BRANCH}^") == main
    changed = remote.git("diff-tree", "-r", "--name-only", "--no-commit-id", done.commit_sha)
    assert sorted(changed.splitlines()) == done.files
    message = remote.git("log", "-1", "--format=%B", done.commit_sha)
    assert message.startswith("Add tests and fixtures for UserRepository\n")
    for path in done.files:
        assert f"- {path}" in message
    trailers = remote.git("log", "-1", "--format=%(trailers:only,unfold)", done.commit_sha)
    assert trailers.splitlines() == [
        f"Cts-Session: {session.initialize.session_id}",
        f"Cts-Account: {session.initialize.account_id}",
        f"Cts-Project: {session.initialize.project_id}",
    ]
    author = remote.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", done.commit_sha)
    assert author == "CTS Bot <cts@localhost>|CTS Bot <cts@localhost>"
    # The working copy still shows what was left out, untouched.
    assert (workspace / "mix.exs").read_text() == "# changed by a test run\n"


async def test_redelivered_finalize_answers_the_same_commit(
    steps: GitSteps, settings: GitCommitterSettings, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    _ok(await steps(session.initialize))
    session.write_session_files(workspace_root)
    first = _ok(await steps(session.finalize()))
    again = await steps(session.finalize())
    async with GitSteps(settings) as other_replica:  # no shared memory with the first
        elsewhere = await other_replica(session.finalize())

    assert _ok(again).commit_sha == first.commit_sha
    assert _ok(elsewhere).commit_sha == first.commit_sha
    assert "redelivered" in again.summary
    assert _ok(again).files == first.files
    assert remote.git("rev-list", "--count", f"main..{BRANCH}") == "1"
    assert remote.tip(BRANCH) == first.commit_sha


async def test_concurrent_deliveries_of_finalize_make_one_commit(
    settings: GitCommitterSettings, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url, push=False)
    async with GitSteps(settings) as a, GitSteps(settings) as b:
        _ok(await a(session.initialize))
        session.write_session_files(workspace_root)
        results = await asyncio.gather(a(session.finalize()), b(session.finalize()))
    shas = {_ok(result).commit_sha for result in results}
    assert len(shas) == 1
    assert [_ok(result).pushed for result in results] == [False, False]
    assert remote.tip(BRANCH) is None, "push was not requested"


async def test_redelivered_initialize_keeps_the_agents_work(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    first = _ok(await steps(session.initialize))
    session.write_session_files(workspace_root)
    again = await steps(session.initialize)
    assert _ok(again) == first
    assert "redelivered" in again.summary
    assert (session.workspace(workspace_root) / TEST_FILE).is_file()


async def test_finalize_with_nothing_written_is_an_error(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    _ok(await steps(session.initialize))
    (session.workspace(workspace_root) / "mix.exs").write_text("# only this changed\n")
    outcome = await steps(session.finalize())
    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "nothing to commit"
    assert remote.tip(BRANCH) is None


async def test_a_repeated_session_that_writes_the_same_files_adds_no_commit(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    first = Session(remote.url)
    _ok(await steps(first.initialize))
    first.write_session_files(workspace_root)
    committed = _ok(await steps(first.finalize()))

    second = Session(remote.url)  # continues the branch and writes identical files
    init = _ok(await steps(second.initialize))
    assert init.base_sha == committed.commit_sha
    second.write_session_files(workspace_root)
    outcome = await steps(second.finalize())
    done = _ok(outcome)

    assert outcome.summary.startswith("unchanged: the branch already holds 2 file(s)")
    assert done.commit_sha == committed.commit_sha
    assert done.files == [TEST_FILE, FIXTURE_FILE]
    assert remote.git("rev-list", "--count", f"main..{BRANCH}") == "1"


async def test_only_the_files_the_agent_wrote_are_committed_by_path(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    session = Session(remote.url)
    _ok(await steps(session.initialize))
    session.write_session_files(workspace_root)
    planted = session.workspace(workspace_root) / "test" / "support" / "planted.ex"
    planted.write_text("defmodule Planted do\nend\n")  # under test/support/, not the agent's

    done = _ok(await steps(session.finalize(files=(TEST_FILE, FIXTURE_FILE))))

    assert done.files == sorted([FIXTURE_FILE, TEST_FILE])
    assert done.ignored == sorted(["test/support/factory_helpers.ex", "test/support/planted.ex"])
    tree = remote.git("ls-tree", "-r", "--name-only", done.commit_sha).splitlines()
    assert "test/support/planted.ex" not in tree


async def test_a_git_directory_whose_config_was_extended_is_refused(
    steps: GitSteps, remote: Remote, workspace_root: Path, tmp_path: Path
) -> None:
    session = Session(remote.url)
    _ok(await steps(session.initialize))
    session.write_session_files(workspace_root)
    gitdir = Path(
        (session.workspace(workspace_root) / ".git").read_text().removeprefix("gitdir: ").strip()
    )
    marker = tmp_path / "filter-ran"
    with (gitdir / "config").open("a") as config:
        config.write(f'[filter "x"]\n\tclean = "sh -c \'touch {marker}; cat\'"\n')
    (gitdir / "info").mkdir(exist_ok=True)
    (gitdir / "info" / "attributes").write_text("* filter=x\n")

    outcome = await steps(session.finalize())

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "repository configuration altered"
    assert "filter.x.clean" in (outcome.error_message or "")
    assert "info/attributes" in (outcome.error_message or "")
    assert not marker.exists()
    assert remote.tip(BRANCH) is None


async def test_a_project_mirror_whose_config_was_extended_is_refused(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    """Only a mirror the step itself just created goes unchecked; a later session checks it."""
    _ok(await steps(Session(remote.url).initialize))
    (mirror_config,) = (workspace_root / ".mirrors").rglob("config")
    with mirror_config.open("a") as config:
        config.write("[core]\n\tfsmonitor = /bin/false\n")

    outcome = await steps(Session(remote.url).initialize)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "repository configuration altered"
    assert "core.fsmonitor" in (outcome.error_message or "")


async def test_the_working_copy_owns_its_objects_once_initialized(
    steps: GitSteps, remote: Remote, workspace_root: Path
) -> None:
    """Initialize links the mirror's objects into the session's git directory: removing the
    project's mirror afterwards (or a repack there) costs the session nothing."""
    session = Session(remote.url)
    _ok(await steps(session.initialize))
    [mirror] = (workspace_root / ".mirrors").glob("*/*/*.git")
    gitdirs = list((workspace_root / ".git-committer" / "repos").rglob("*.git"))
    assert len(gitdirs) == 1
    assert not (gitdirs[0] / "objects" / "info" / "alternates").exists()
    # The fetch kept git's pack as it came: no loose objects to walk, link or delete one by one.
    counted = dict(
        line.split(": ")
        for line in git("--git-dir", str(mirror), "count-objects", "-v").splitlines()
    )
    assert counted["count"] == "0"
    assert int(counted["packs"]) >= 1
    await asyncio.to_thread(shutil.rmtree, mirror)
    session.write_session_files(workspace_root)
    done = _ok(await steps(session.finalize()))
    assert isinstance(done, FinalizeData)
    assert remote.tip(BRANCH) == done.commit_sha
    assert remote.git("rev-parse", f"{BRANCH}^") == remote.tip("main")
