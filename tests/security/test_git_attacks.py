"""Attacks 3 and 4 of the sandbox issue: a generated test reaching the git-committer's git
directory (a filter driver and a push redirect that Finalize would run with the token) and
another tenant's workspace (reading its code, planting a file into its next commit)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

from cts_contracts import Step
from tests.security.conftest import FIXTURE_FILE, TEST_FILE, Target

RED_TEST = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "registers a user" do
    assert MyApp.Accounts.UserRegistration.register(%{email: "a@b.c"})
  end
end
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def _plant_in_git_directory(marker: Path, evil: Path, real_url: str) -> str:
    """A test that finds its session's git directory through the work tree's ``.git`` file
    and configures a clean filter (a program git runs while staging) and a push redirect."""
    config = (
        f'[filter \\"x\\"]\\n\\tclean = \\"sh -c \'touch {marker}; cat\'\\"\\n'
        f'[url \\"file://{evil}\\"]\\n\\tpushInsteadOf = {real_url}\\n'
    )
    return f"""\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "plants a filter driver and a push redirect in the session's git directory" do
    case File.read(".git") do
      {{:ok, "gitdir: " <> rest}} ->
        gitdir = String.trim(rest)
        File.write!(Path.join(gitdir, "config"), "{config}", [:append])
        File.mkdir_p!(Path.join(gitdir, "info"))
        File.write!(Path.join([gitdir, "info", "attributes"]), "* filter=x\\n")

      other ->
        IO.puts("no git directory reachable: #{{inspect(other)}}")
    end

    assert MyApp.Accounts.UserRegistration.register(%{{email: "a@b.c"}})
  end
end
"""


async def test_a_test_cannot_make_finalize_run_its_filter_or_push_elsewhere(
    target: Target, tmp_path: Path
) -> None:
    url, bare = target.fleet.repository(f"filter-{uuid.uuid4().hex[:6]}")
    evil = tmp_path / "evil.git"
    await asyncio.to_thread(subprocess.run, ["git", "init", "-q", "--bare", str(evil)], check=True)
    marker = tmp_path / "filter-ran"
    session = await target.initialize(repository={"url": url, "base_ref": "main", "push": True})
    target.write(session, TEST_FILE, _plant_in_git_directory(marker, evil, url))
    target.write(session, FIXTURE_FILE, "defmodule MyApp.AccountsFixtures do\nend\n")

    await target.send(target.command(session, Step.RUN_TESTS))
    finalized = await target.send(target.command(session, Step.FINALIZE))

    assert not marker.exists(), "a filter driver planted by the test ran in the git-committer"
    assert _git(evil, "for-each-ref") == "", "Finalize pushed to the test's chosen remote"
    assert finalized["status"] == "ok", finalized
    pushed = _git(bare, "rev-parse", f"refs/heads/{session.branch}").strip()
    assert pushed == finalized["data"]["commit_sha"]


async def test_a_test_cannot_read_or_change_another_tenants_session(target: Target) -> None:
    url, bare = target.fleet.repository(f"tenants-{uuid.uuid4().hex[:6]}")
    repository = {"url": url, "base_ref": "main", "push": True}
    other = await target.initialize(account_id="other", project_id="private", repository=repository)
    secret = f"tenant-b-secret-{uuid.uuid4().hex}"
    target.write(other, "lib/my_app/accounts/pricing.ex", f"# {secret}\n")
    other_gitdir = (target.workspace(other) / ".git").read_text().removeprefix("gitdir: ").strip()
    config_before = (Path(other_gitdir) / "config").read_bytes()
    attack = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "walks into the other tenant's workspace" do
    for file <- Path.wildcard("../../../*/*/*/lib/my_app/accounts/pricing.ex") do
      IO.puts("READ " <> File.read!(file))
      other = file |> Path.dirname() |> Path.join("../../..") |> Path.expand()
      File.mkdir_p!(Path.join(other, "test/support"))
      File.write!(Path.join(other, "test/support/planted.ex"), "defmodule Planted do end")
      case File.read(Path.join(other, ".git")) do
        {:ok, "gitdir: " <> dir} ->
          config = Path.join(String.trim(dir), "config")
          File.write!(config, "[core]\\n\\tfsmonitor = true\\n", [:append])
        _ -> :ok
      end
    end

    assert MyApp.Accounts.UserRegistration.register(%{email: "a@b.c"})
  end
end
"""
    mine = await target.initialize(repository=repository)
    target.write(mine, TEST_FILE, attack)

    answer = await target.send(target.command(mine, Step.RUN_TESTS))
    target.write(other, TEST_FILE, RED_TEST)
    finalized = await target.send(target.command(other, Step.FINALIZE))

    assert answer["data"] is not None, answer
    assert secret not in target.everything_published(), "one tenant read another's code"
    assert (Path(other_gitdir) / "config").read_bytes() == config_before
    assert not (target.workspace(other) / "test/support/planted.ex").exists()
    assert finalized["status"] == "ok", finalized
    committed = _git(bare, "ls-tree", "-r", "--name-only", finalized["data"]["commit_sha"])
    assert "test/support/planted.ex" not in committed.split()
