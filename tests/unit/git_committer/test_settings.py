"""Settings read from CTS_ variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_git_committer.settings import GitCommitterSettings


def test_defaults_are_safe() -> None:
    settings = GitCommitterSettings()
    assert settings.git_allow_file_urls is False
    assert settings.https_token() is None
    assert settings.git_https_token_hosts == []
    assert (settings.git_author_name, settings.git_author_email) == ("CTS Bot", "cts@localhost")
    assert settings.workspace_retention_s == 0
    assert settings.service_name == "git-committer"


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CTS_GIT_ALLOW_FILE_URLS", "true")
    monkeypatch.setenv("CTS_GIT_HTTPS_TOKEN", "env-token-value")
    monkeypatch.setenv("CTS_GIT_HTTPS_TOKEN_HOSTS", "GitHub.com, gitlab.example:8443")
    monkeypatch.setenv("CTS_WORKSPACE_RETENTION_S", "3600")
    settings = GitCommitterSettings()
    assert settings.git_allow_file_urls is True
    assert settings.https_token() == "env-token-value"
    assert "env-token-value" not in repr(settings)
    assert settings.git_https_token_hosts == ["github.com", "gitlab.example:8443"]
    assert settings.workspace_retention_s == 3600
    token_file = tmp_path / "token"
    token_file.write_text("  file-token-value\n")
    monkeypatch.setenv("CTS_GIT_HTTPS_TOKEN_FILE", str(token_file))
    assert GitCommitterSettings().https_token() == "file-token-value", "the file wins"
