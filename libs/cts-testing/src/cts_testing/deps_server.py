"""The fixture application's remote dependencies, served the way a real git host serves them.

``examples/libs/<name>`` becomes a bare repository with one commit (fixed identity and dates,
so its sha is the one ``examples/shop_app/mix.lock`` pins) tagged ``v0.1.0``, served over
HTTPS as ``https://git.cts.test/<name>.git``. The test-runner reaches it only through its
dependency proxy: ``settings()`` are the variables that allow that host, pin it to this
server's address, and trust its certificate.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cts_testing.git_https import GitHttpsServer, plain_git_env, serve_git_https
from cts_testing.stack import repo_root

HOST = "git.cts.test"
TAG = "v0.1.0"
LIBRARIES = ("cts_money", "cts_slug")
FIXED = {
    "GIT_AUTHOR_NAME": "CTS",
    "GIT_AUTHOR_EMAIL": "cts@localhost",
    "GIT_COMMITTER_NAME": "CTS",
    "GIT_COMMITTER_EMAIL": "cts@localhost",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}


@dataclass(frozen=True)
class DepsServer:
    server: GitHttpsServer
    shas: dict[str, str]

    def settings(self) -> dict[str, str]:
        """The test-runner's environment for fetching from this server."""
        return {
            "CTS_DEPS_ALLOWED_HOSTS": HOST,
            "CTS_DEPS_RESOLVE": f"{HOST}:443=127.0.0.1:{self.server.port}",
            "CTS_DEPS_CA_FILE": str(self.server.cafile),
        }


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=plain_git_env(**FIXED), check=True, capture_output=True
    )
    return done.stdout.decode().strip()


def publish(name: str, repositories: Path) -> str:
    """``examples/libs/<name>`` as ``<repositories>/<name>.git``; returns its commit's sha."""
    work = repositories / f"{name}-src"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(repo_root() / "examples" / "libs" / name, work)
    for path in work.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the sha depends on the modes
    _git("init", "-q", "-b", "main", "--template=", str(work))
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", f"{name} {TAG}", cwd=work)
    _git("tag", TAG, cwd=work)
    bare = repositories / f"{name}.git"
    shutil.rmtree(bare, ignore_errors=True)
    _git("clone", "-q", "--bare", "--template=", str(work), str(bare))
    shutil.rmtree(work)
    return _git("--git-dir", str(bare), "rev-parse", f"{TAG}^{{commit}}")


@contextmanager
def serve_deps(root: Path) -> Iterator[DepsServer]:
    """Publish every library and serve them until the block ends."""
    repositories, certs = root / "repositories", root / "certs"
    repositories.mkdir(parents=True, exist_ok=True)
    certs.mkdir(parents=True, exist_ok=True)
    shas = {name: publish(name, repositories) for name in LIBRARIES}
    with serve_git_https(repositories, certs, hostname=HOST) as server:
        yield DepsServer(server, shas)
