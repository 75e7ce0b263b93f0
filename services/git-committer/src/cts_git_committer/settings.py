"""Git-committer settings (``CTS_`` environment variables); safe local defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from cts_runtime.settings import ServiceSettings


class GitCommitterSettings(ServiceSettings):
    service_name: str = "git-committer"
    max_in_flight: int = Field(
        default=8,
        ge=1,
        le=1024,
        description="Git steps (and workspace cleanups) run at once: each runs git "
        "processes, so a few keep the CPU and disk busy",
    )

    git_allow_file_urls: bool = Field(
        default=False, description="Accept file:// repositories (tests and the local demo only)"
    )
    git_https_token: SecretStr | None = Field(
        default=None, description="Token offered to CTS_GIT_HTTPS_TOKEN_HOSTS over https"
    )
    git_https_token_file: Path | None = Field(
        default=None, description="A mounted secret holding the token (read at every use)"
    )
    git_https_username: str = Field(
        default="x-access-token", description="Username sent with the token (GitHub's convention)"
    )
    git_https_token_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (comma-separated, optional :port) the token may be sent to; the "
        "repository URL comes from a client, so the token never goes to any other host",
    )
    git_tenants_file: Path | None = Field(
        default=None,
        description="Which repository URLs each account/project may use and the credential "
        "for them (YAML or JSON, read at every step; see tenants.py); set, every other "
        "repository is refused at Initialize and CTS_GIT_HTTPS_TOKEN is never used",
    )
    git_ssl_cainfo: Path | None = Field(
        default=None, description="CA bundle for https remotes behind a private CA"
    )
    git_ssh_command: str = Field(
        default="ssh -o BatchMode=yes", description="GIT_SSH_COMMAND: never prompt"
    )
    git_author_name: str = Field(default="CTS Bot", description="Author of session commits")
    git_author_email: str = Field(default="cts@localhost", description="Its e-mail address")
    git_command_timeout_s: float = Field(
        default=300, gt=0, description="One git network command; a hung fetch is killed"
    )
    git_network_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries of a network git command before 'transient'"
    )
    git_retry_delay_s: float = Field(
        default=2.0, ge=0, description="First backoff delay; doubles per retry, with jitter"
    )
    git_retry_max_delay_s: float = Field(default=30.0, ge=0, description="Longest backoff delay")
    workspace_retention_s: float = Field(
        default=0, ge=0, description="Keep a finished session's workspace this long (0: remove now)"
    )
    workspace_removal_max_delay_s: float = Field(
        default=30,
        ge=0,
        description="A removed workspace's files are deleted when no step runs, or after this",
    )
    cleanup_sweep_interval_s: float = Field(
        default=60, gt=0, description="How often finished workspaces past retention are removed"
    )
    cleanup_max_per_pass: int = Field(
        default=100, ge=1, le=10_000, description="Most workspaces one cleanup sweep removes"
    )

    @field_validator("git_https_token_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    def https_token(self) -> str | None:
        """The token, read from the file each time so a rotated secret is picked up."""
        if self.git_https_token_file is not None:
            text = self.git_https_token_file.read_text(encoding="utf-8").strip()
            return text or None
        if self.git_https_token is not None:
            return self.git_https_token.get_secret_value() or None
        return None
