"""The environment git runs with: built from scratch, hardened, credentials only where due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cts_git_committer.failures import StepFailure
from cts_git_committer.git_env import GitEnvironment
from cts_git_committer.remote_url import parse_remote_url
from cts_git_committer.settings import GitCommitterSettings

SERVICE_ENV = {
    "PATH": "/usr/bin:/bin", "HOME": "/home/cts", "SSH_AUTH_SOCK": "/run/agent",
    "CTS_GIT_HTTPS_TOKEN": "from-the-environment", "CTS_MONGODB_URI": "mongodb://u:p@db/",
    "GIT_TEMPLATE_DIR": "/evil/templates", "GIT_SSH_COMMAND": "evil", "GIT_DIR": "/elsewhere",
    "HTTPS_PROXY": "http://proxy:3128",
}  # fmt: skip


@pytest.fixture
def make_env() -> Iterator[Any]:
    made: list[GitEnvironment] = []

    def make(**settings: Any) -> GitEnvironment:
        env = GitEnvironment(GitCommitterSettings(**settings), SERVICE_ENV)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()


def _config(env: dict[str, str]) -> dict[str, str]:
    count = int(env["GIT_CONFIG_COUNT"])
    return {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}


def test_only_the_needed_variables_are_passed_through(make_env: Any) -> None:
    env = make_env().local()
    assert env["PATH"] == "/usr/bin:/bin"
    assert env["SSH_AUTH_SOCK"] == "/run/agent"
    assert env["HTTPS_PROXY"] == "http://proxy:3128"
    for name in ("CTS_GIT_HTTPS_TOKEN", "CTS_MONGODB_URI", "GIT_TEMPLATE_DIR", "GIT_DIR"):
        assert name not in env
    assert env["GIT_SSH_COMMAND"] == "ssh -o BatchMode=yes"
    assert (env["GIT_CONFIG_NOSYSTEM"], env["GIT_CONFIG_GLOBAL"]) == ("1", "/dev/null")
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_ALLOW_PROTOCOL"] == "file"
    config = _config(env)
    assert config["core.hooksPath"] == "/dev/null"
    assert config["protocol.ext.allow"] == "never"
    assert config["credential.helper"] == ""


def test_remote_protocols_follow_the_file_setting(make_env: Any) -> None:
    url = parse_remote_url("https://example.com/x.git", allow_file=False)
    assert make_env().remote(url)["GIT_ALLOW_PROTOCOL"] == "https:ssh"
    allowed = make_env(git_allow_file_urls=True).remote(url)
    assert allowed["GIT_ALLOW_PROTOCOL"] == "https:ssh:file"


def test_no_askpass_without_credentials(make_env: Any) -> None:
    env = make_env().remote(parse_remote_url("https://example.com/x.git", allow_file=False))
    assert "GIT_ASKPASS" not in env
    assert _config(env).get("http.followRedirects") is None


def test_url_credentials_go_through_askpass(make_env: Any) -> None:
    url = parse_remote_url("https://alice:s3cret@example.com/x.git", allow_file=False)
    env = make_env().remote(url)
    assert (env["CTS_GIT_ASKPASS_USERNAME"], env["CTS_GIT_ASKPASS_PASSWORD"]) == ("alice", "s3cret")
    assert Path(env["GIT_ASKPASS"]).stat().st_mode & 0o777 == 0o700
    assert _config(env)["http.followRedirects"] == "false"
    assert all("s3cret" not in value for key, value in env.items() if "ASKPASS_PASSWORD" not in key)


def test_the_service_token_goes_only_to_listed_hosts(make_env: Any) -> None:
    env = make_env(git_https_token="tok-123456", git_https_token_hosts="github.com, GHE.corp:8443")
    listed = parse_remote_url("https://github.com/acme/x.git", allow_file=False)
    with_port = parse_remote_url("https://ghe.corp:8443/acme/x.git", allow_file=False)
    other = parse_remote_url("https://evil.example/x.git", allow_file=False)
    ssh = parse_remote_url("git@github.com:acme/x.git", allow_file=False)
    assert env.remote(listed)["CTS_GIT_ASKPASS_PASSWORD"] == "tok-123456"
    assert env.remote(listed)["CTS_GIT_ASKPASS_USERNAME"] == "x-access-token"
    assert env.remote(with_port)["CTS_GIT_ASKPASS_PASSWORD"] == "tok-123456"
    assert "GIT_ASKPASS" not in env.remote(other)
    assert "GIT_ASKPASS" not in env.remote(ssh)
    assert env.secrets("extra-secret") == ("extra-secret", "tok-123456")


def test_token_file_is_read_at_use_and_a_missing_one_is_a_readable_failure(
    make_env: Any, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("file-token-1\n")
    env = make_env(git_https_token_file=token_file, git_https_token_hosts="github.com")
    url = parse_remote_url("https://github.com/acme/x.git", allow_file=False)
    assert env.remote(url)["CTS_GIT_ASKPASS_PASSWORD"] == "file-token-1"
    token_file.write_text("file-token-2\n")  # rotated
    assert env.remote(url)["CTS_GIT_ASKPASS_PASSWORD"] == "file-token-2"
    token_file.unlink()
    with pytest.raises(StepFailure, match="cannot be read"):
        env.remote(url)
    assert env.secrets() == ()


def test_close_removes_the_helper(make_env: Any) -> None:
    env = make_env()
    assert env.askpass.is_file()
    env.close()
    assert not env.askpass.exists()
