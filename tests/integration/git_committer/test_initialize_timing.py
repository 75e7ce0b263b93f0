"""Cold vs warm Initialize over https on two repositories: a generated one (400 files, 30
commits) and the demo's sample app (``examples/phoenix_app``).

Cold: no mirror yet, the whole repository is downloaded. Warm: the project's mirror exists,
the fetch only negotiates (no pack is sent when nothing changed) and the working copy is a
local clone. The numbers are printed (``pytest -s``) for the README; the assertions are the
deterministic part: a warm Initialize downloads nothing it already has.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cts_contracts import ResultStatus
from cts_git_committer.service import GitSteps
from cts_testing.git_https import GitHttpsServer, serve_git_https
from cts_testing.stack import repo_root

from .conftest import Session, build_sample_repository, committer_settings, git

TOKEN = "bench-token-0123456789"


def _sample_app_repository(bare: Path) -> None:
    source = bare.with_name("phoenix_app-src")
    shutil.copytree(repo_root() / "examples" / "phoenix_app", source)
    git("init", "-q", "-b", "main", "--template=", str(source))
    git("add", "-A", cwd=source)
    git("commit", "-q", "-m", "Sample Phoenix-style app", cwd=source)
    git("clone", "-q", "--bare", "--template=", str(source), str(bare))


@pytest.fixture(params=["generated-400-files", "sample-app"])
def big_remote(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    bare = tmp_path / "remote" / "shop.git"
    bare.parent.mkdir()
    if request.param == "sample-app":
        _sample_app_repository(bare)
    else:
        build_sample_repository(bare, files=400, commits=30)
    return bare


@pytest.fixture
def server(big_remote: Path, tmp_path: Path) -> Iterator[GitHttpsServer]:
    certs = tmp_path / "certs"
    certs.mkdir()
    with serve_git_https(
        big_remote.parent, certs, username="x-access-token", password=TOKEN
    ) as running:
        yield running


def _packs(mirror_root: Path) -> list[Path]:
    return sorted(mirror_root.rglob("objects/pack/*.pack"))


async def test_warm_initialize_reuses_the_mirror(
    server: GitHttpsServer, workspace_root: Path, big_remote: Path, request: pytest.FixtureRequest
) -> None:
    settings = committer_settings(workspace_root, git_https_token=TOKEN,
                                  git_https_token_hosts=server.host,
                                  git_ssl_cainfo=server.cafile)  # fmt: skip
    url = server.url("shop.git")
    async with GitSteps(settings) as steps:
        started = time.perf_counter()
        cold = await steps(Session(url).initialize)
        cold_s = time.perf_counter() - started
        assert cold.status is ResultStatus.OK, cold.error_message
        packs_after_cold = _packs(workspace_root / ".mirrors")
        assert server.object_requests() >= 1
        object_requests_after_cold = server.object_requests()

        warm_runs = []
        for _ in range(5):
            started = time.perf_counter()
            warm = await steps(Session(url).initialize)
            warm_runs.append(time.perf_counter() - started)
            assert warm.status is ResultStatus.OK, warm.error_message
    warm_s = statistics.median(warm_runs)
    files = sum(1 for _ in (workspace_root / Session(url).initialize.workspace).parent.rglob("*"))

    assert _packs(workspace_root / ".mirrors") == packs_after_cold, "nothing was downloaded"
    # With nothing new, a fetch only lists refs: no request asks for objects.
    assert server.object_requests() == object_requests_after_cold
    print(
        f"\ninitialize timing ({request.node.callspec.id}): cold {cold_s:.3f}s, "
        f"warm median {warm_s:.3f}s "
        f"(runs {', '.join(f'{s:.3f}' for s in warm_runs)}); {files} paths in workspaces"
    )
