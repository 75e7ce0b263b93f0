"""Which repositories each tenant may use, and the credential for them
(``CTS_GIT_TENANTS_FILE``, a Secret in Kubernetes).

The repository URL comes from the requester, so without this any tenant could name any
repository on a host the service holds a token for, and have it cloned (and, with ``push``,
pushed to) with that token. With a tenants file, a request is served only when its
account/project has an entry whose patterns match the URL, and the only credential git ever
gets is that entry's; the service-wide token (``CTS_GIT_HTTPS_TOKEN``) is not used.

The file (YAML or JSON)::

    tenants:
      - account: acme
        project: shop            # "*": every project of the account
        repositories:            # "*" matches within one path segment, "**" across them
          - https://git.example.com/acme/*
          - ssh://git@git.example.com/acme/shop.git
        credential:              # optional: https only
          username: x-access-token
          token_file: /var/run/secrets/cts/acme-token   # or token: ..., read at every use
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cts_git_committer.failures import StepFailure
from cts_git_committer.remote_url import RemoteUrl


class Credential(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = "x-access-token"
    token: SecretStr | None = None
    token_file: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Credential:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("a credential needs exactly one of token and token_file")
        return self

    def secret(self) -> str:
        if self.token_file is not None:
            try:
                return self.token_file.read_text(encoding="utf-8").strip()
            except OSError:
                raise StepFailure("credential unavailable",
                                  "the tenant's token_file cannot be read") from None  # fmt: skip
        return self.token.get_secret_value() if self.token else ""


class Tenant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str = Field(min_length=1)
    project: str = Field(default="*", min_length=1)
    repositories: list[str] = Field(min_length=1)
    credential: Credential | None = None

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        return [_compile(pattern) for pattern in self.repositories]

    def serves(self, account_id: str, project_id: str) -> bool:
        return self.account == account_id and self.project in ("*", project_id)

    def allows(self, url: RemoteUrl) -> bool:
        path = url.url.split("://", 1)[-1]
        if any(part in ("..", ".") for part in path.split("/")):
            return False
        return any(pattern.fullmatch(url.url) for pattern in self._patterns)


class Tenants(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenants: list[Tenant] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Tenants:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def resolve(self, account_id: str, project_id: str, url: RemoteUrl) -> RemoteUrl:
        """``url`` with the tenant's credential, or a ``StepFailure`` saying why not (the
        URL shown is the one without credentials; the patterns are not revealed)."""
        mine = [t for t in self.tenants if t.serves(account_id, project_id)]
        if not mine:
            raise StepFailure(
                "repository not allowed",
                f"no repositories are configured for {account_id}/{project_id} "
                "(CTS_GIT_TENANTS_FILE): ask the operator to add this project",
            )
        tenant = next((t for t in mine if t.allows(url)), None)
        if tenant is None:
            raise StepFailure(
                "repository not allowed",
                f"{url.url} is not among the repositories configured for "
                f"{account_id}/{project_id} (CTS_GIT_TENANTS_FILE)",
            )
        if tenant.credential is None or url.scheme != "https":
            return replace(url, username=url.username if url.scheme == "ssh" else None,
                           password=None)  # fmt: skip
        return replace(url, username=tenant.credential.username,
                       password=tenant.credential.secret())  # fmt: skip


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    wild = {"**": ".*", "*": "[^/]*"}
    return re.compile("".join(wild.get(part, re.escape(part)) for part in parts))
