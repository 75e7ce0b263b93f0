"""Push the session commit to the session branch: fast-forward only, read from ``--porcelain``."""

from __future__ import annotations

from cts_git_committer.backoff import Backoff
from cts_git_committer.failures import GitError, StepFailure, classify, failure_from
from cts_git_committer.remote_url import RemoteUrl
from cts_git_committer.working_copy import WorkingCopy

# For file:// remotes git runs receive-pack locally, and drops our configuration for it
# (a local transport clears GIT_CONFIG_*): name the command so the target's hooks stay off.
LOCAL_RECEIVE_PACK = "--receive-pack=git -c core.hooksPath=/dev/null receive-pack"


async def push(
    repo: WorkingCopy, url: RemoteUrl, *, commit: str, branch: str, backoff: Backoff
) -> None:
    target = f"refs/heads/{branch}"
    args = ["push", "--porcelain", "--no-verify"]
    if url.scheme == "file":
        args.append(LOCAL_RECEIVE_PACK)
    args += ["--", url.url, f"{commit}:{target}"]
    env = repo.remote_env(url)

    async def attempt() -> None:
        output = await repo.git.run(
            "push", args, env=env, cwd=repo.workspace, check=False, network=True
        )
        status = _ref_status(output.stdout.decode("utf-8", "replace"), target)
        if status is not None:
            flag, summary = status
            if flag != "!":
                return
            if "non-fast-forward" in summary or "fetch first" in summary:
                raise StepFailure(
                    "push rejected (non-fast-forward)",
                    f"push to {url.url} rejected: {branch} on the remote has commits this "
                    "session does not (non-fast-forward); CTS never force-pushes",
                )
            raise StepFailure(
                "push rejected", f"push to {url.url} rejected: {repo.git.redact(summary)}"
            )
        if output.returncode == 0:
            return
        raise GitError("push", repo.git.describe(output.stderr), classify(output.stderr))

    try:
        await backoff.run(attempt)
    except GitError as error:
        raise failure_from(error, what=url.url) from None


def _ref_status(porcelain: str, target: str) -> tuple[str, str] | None:
    """``<flag>\\t<from>:<to>\\t<summary>`` for our ref, e.g. ``!`` and ``[rejected] (...)``."""
    for line in porcelain.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1].endswith(f":{target}"):
            return fields[0] or " ", fields[2].strip()[:500]
    return None
