"""https credentials reach the server through GIT_ASKPASS and nowhere else: not the disk,
not an answer, not a log line; the service token goes only to the hosts it is meant for."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from cts_contracts import ResultStatus
from cts_git_committer.service import GitSteps
from cts_testing.git_https import GitHttpsServer, serve_git_https

from .conftest import BRANCH, Remote, Session, committer_settings

TOKEN = "ghp_S3cretT0kenValue1234567890"


@pytest.fixture
def server(remote: Remote, tmp_path: Path) -> Iterator[GitHttpsServer]:
    certs = tmp_path / "certs"
    certs.mkdir()
    with serve_git_https(
        remote.path.parent, certs, username="x-access-token", password=TOKEN
    ) as running:
        yield running


def _files_holding(root: Path, secret: str) -> list[Path]:
    needles = (secret.encode(), base64.b64encode(secret.encode()))
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(path)
    return found


def _printed(outcome: Any, logs: Sequence[MutableMapping[str, Any]]) -> str:
    return repr((outcome.summary, outcome.error_message, outcome.data, logs))


async def test_service_token_is_used_for_listed_hosts_and_never_stored(
    server: GitHttpsServer, workspace_root: Path
) -> None:
    settings = committer_settings(
        workspace_root,
        git_https_token=TOKEN,
        git_https_token_hosts=server.host,
        git_ssl_cainfo=server.cafile,
    )
    session = Session(server.url("shop.git"))
    with capture_logs() as logs:
        async with GitSteps(settings) as steps:
            init = await steps(session.initialize)
            assert init.status is ResultStatus.OK, init.error_message
            session.write_session_files(workspace_root)
            done = await steps(session.finalize())
    assert done.status is ResultStatus.OK, done.error_message
    assert done.data.pushed is True  # type: ignore[union-attr]
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert expected in server.seen_credentials
    assert _files_holding(workspace_root, TOKEN) == []
    assert TOKEN not in _printed(done, logs) + _printed(init, logs)


async def test_token_in_the_url_works_and_is_never_stored_or_printed(
    remote: Remote, tmp_path: Path, workspace_root: Path
) -> None:
    certs = tmp_path / "certs2"
    certs.mkdir()
    with serve_git_https(remote.path.parent, certs, username="alice", password=TOKEN) as server:
        settings = committer_settings(workspace_root, git_ssl_cainfo=server.cafile)
        session = Session(server.url("shop.git", userinfo=f"alice:{TOKEN}"))
        with capture_logs() as logs:
            async with GitSteps(settings) as steps:
                init = await steps(session.initialize)
                session.write_session_files(workspace_root)
                done = await steps(session.finalize())
    assert init.status is ResultStatus.OK, init.error_message
    assert done.status is ResultStatus.OK, done.error_message
    assert remote.tip(BRANCH) == done.data.commit_sha  # type: ignore[union-attr]
    assert _files_holding(workspace_root, TOKEN) == []
    origin = (workspace_root / ".git-committer").rglob("config")
    assert all("alice" not in path.read_text() for path in origin)
    assert TOKEN not in _printed(done, logs) + _printed(init, logs)


async def test_a_wrong_token_is_an_authentication_error_without_the_token(
    server: GitHttpsServer, workspace_root: Path
) -> None:
    wrong = "ghp_WrongT0kenValue0987654321"
    settings = committer_settings(workspace_root, git_ssl_cainfo=server.cafile)
    with capture_logs() as logs:
        async with GitSteps(settings) as steps:
            outcome = await steps(Session(server.url("shop.git", f"bob:{wrong}")).initialize)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "authentication failed")
    assert f"https://{server.host}/shop.git" in (outcome.error_message or "")
    assert wrong not in _printed(outcome, logs)


async def test_the_token_is_not_offered_to_unlisted_hosts(
    server: GitHttpsServer, workspace_root: Path
) -> None:
    settings = committer_settings(
        workspace_root,
        git_https_token=TOKEN,
        git_https_token_hosts="github.com",
        git_ssl_cainfo=server.cafile,
    )
    async with GitSteps(settings) as steps:
        outcome = await steps(Session(server.url("shop.git")).initialize)
    assert (outcome.status, outcome.summary) == (ResultStatus.ERROR, "authentication failed")
    assert server.seen_credentials, "the server was reached"
    assert all(seen is None for seen in server.seen_credentials)


async def test_network_failures_are_retried_then_transient_and_redacted(
    workspace_root: Path, unused_port: int
) -> None:
    settings = committer_settings(workspace_root, git_network_attempts=3)
    url = f"https://carol:{TOKEN}@127.0.0.1:{unused_port}/shop.git"
    with capture_logs() as logs:
        async with GitSteps(settings) as steps:
            outcome = await steps(Session(url).initialize)
    assert (outcome.status, outcome.summary) == (ResultStatus.TRANSIENT, "git network failure")
    assert "Failed to connect" in (outcome.error_message or "")
    retries = [entry for entry in logs if entry["event"] == "git network failure; retrying"]
    assert [entry["attempt"] for entry in retries] == [1, 2]
    assert TOKEN not in _printed(outcome, logs)
    assert "carol" not in _printed(outcome, logs)


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
