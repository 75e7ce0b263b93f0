"""The git configuration of CTS's own repositories may hold only what ``init`` and ``clone``
write there.

git always reads a repository's own ``config`` (``$GIT_DIR/config``), and that file can name
programs git runs (filter drivers, ``core.fsmonitor``, ``core.sshCommand``), rewrite where a
push goes (``url.*.pushInsteadOf``) or turn off TLS checks (``http.sslVerify``). No sandboxed
run can reach these directories, but a step must not trust that: before git works on a
session's git directory or a project's mirror, anything beyond the keys below (or an
``info/attributes`` file, which CTS never writes) refuses the step.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from cts_git_committer.failures import StepFailure
from cts_git_committer.git_process import Git

_WRITTEN_BY_GIT = re.compile(
    r"core\.(repositoryformatversion|filemode|bare|logallrefupdates|symlinks|ignorecase"
    r"|precomposeunicode)"
    r"|remote\.origin\.(url|fetch)"
    r"|branch\.[^\x00]+\.(remote|merge)",
    re.IGNORECASE,
)


async def check_repository_config(git: Git, env: dict[str, str], gitdir: Path) -> None:
    """Refuse (``StepFailure``) a git directory whose configuration was extended."""
    listing = await git.run(
        "config",
        ["config", "--file", str(gitdir / "config"), "--null", "--name-only", "--list"],
        env=env,
        check=False,
    )
    names = [name.decode("utf-8", "replace") for name in listing.stdout.split(b"\x00") if name]
    unexpected = sorted({name for name in names if not _WRITTEN_BY_GIT.fullmatch(name)})
    if await asyncio.to_thread((gitdir / "info" / "attributes").exists):
        unexpected.append("info/attributes")
    if listing.returncode != 0 and not names:
        unexpected.append("an unreadable config file")
    if unexpected:
        shown = ", ".join(unexpected[:10])
        raise StepFailure(
            "repository configuration altered",
            f"the git directory holds settings CTS never writes ({shown}); git will not run "
            "on it. Something outside CTS changed it: start a new session.",
        )
