"""The environment every git command runs with: nothing inherited that could change what git
does, no hooks, no prompts, only allow-listed protocols, credentials through ``GIT_ASKPASS``.

git is started with this environment only (not ``os.environ`` plus changes), so the service's
own secrets (Kafka, MongoDB, the token variable itself) never reach git, ssh or a helper.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cts_git_committer.failures import StepFailure
from cts_git_committer.remote_url import RemoteUrl
from cts_git_committer.settings import GitCommitterSettings

PASSED_THROUGH = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "SSH_AUTH_SOCK",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)
"""Where git, ssh and the ssh agent live, and the network's proxies; nothing else."""

HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),  # no hook of any repository ever runs
    ("core.fsmonitor", "false"),  # a configured fsmonitor is a command git would run
    ("core.attributesFile", "/dev/null"),
    ("core.excludesFile", "/dev/null"),
    ("protocol.ext.allow", "never"),
    ("credential.helper", ""),  # empties the helper list: no stored credentials are used
    ("commit.gpgSign", "false"),
    ("gc.autoDetach", "false"),  # no background gc outliving the command (cleanup races it)
    ("maintenance.auto", "false"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("advice.detachedHead", "false"),
    ("init.defaultBranch", "main"),
)
ASKPASS_SCRIPT = """#!/bin/sh
# git asks "Username for '...': " then "Password for '...': "; answers come from the env.
case "$1" in
  Username*) printf '%s\\n' "$CTS_GIT_ASKPASS_USERNAME" ;;
  Password*) printf '%s\\n' "$CTS_GIT_ASKPASS_PASSWORD" ;;
esac
"""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class GitEnvironment:
    """Owns a private directory holding the askpass helper; ``close()`` removes it."""

    def __init__(self, settings: GitCommitterSettings, environ: Mapping[str, str]) -> None:
        self._settings = settings
        self._environ = environ
        # Private to this process (0700 in the system temp dir), not on the shared workspace
        # volume: code running in a workspace must not be able to swap the helper.
        self._dir = Path(tempfile.mkdtemp(prefix="cts-git-committer-"))
        self.askpass = self._dir / "askpass.sh"
        self.askpass.write_text(ASKPASS_SCRIPT, encoding="utf-8")
        self.askpass.chmod(stat.S_IRWXU)

    @classmethod
    def create(
        cls, settings: GitCommitterSettings, environ: Mapping[str, str] | None = None
    ) -> GitEnvironment:
        return cls(settings, os.environ if environ is None else environ)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def _base(
        self, protocols: str, extra_config: tuple[tuple[str, str], ...] = ()
    ) -> dict[str, str]:
        s = self._settings
        env = {name: self._environ[name] for name in PASSED_THROUGH if name in self._environ}
        env.setdefault("PATH", os.defpath)
        env |= {
            "LC_ALL": "C",
            "LANG": "C",
            "LANGUAGE": "C",  # stable messages to classify
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_ALLOW_PROTOCOL": protocols,
            "GIT_SSH_COMMAND": s.git_ssh_command,
            "GIT_AUTHOR_NAME": s.git_author_name,
            "GIT_AUTHOR_EMAIL": s.git_author_email,
            "GIT_COMMITTER_NAME": s.git_author_name,
            "GIT_COMMITTER_EMAIL": s.git_author_email,
        }
        if s.git_ssl_cainfo is not None:
            env["GIT_SSL_CAINFO"] = str(s.git_ssl_cainfo)
        pairs = (*HARDENING, *extra_config)
        env["GIT_CONFIG_COUNT"] = str(len(pairs))
        for index, (key, value) in enumerate(pairs):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        return env

    def local(self) -> dict[str, str]:
        """For commands that touch only this machine's repositories (the mirror, a workspace)."""
        return self._base("file")

    def remote(self, url: RemoteUrl) -> dict[str, str]:
        """For a command that talks to the user's remote."""
        protocols = "https:ssh:file" if self._settings.git_allow_file_urls else "https:ssh"
        credentials = self.credentials(url)
        if credentials is None:
            return self._base(protocols)
        # With credentials in play, a redirect must not carry them to another host.
        env = self._base(protocols, (("http.followRedirects", "false"),))
        env |= {
            "GIT_ASKPASS": str(self.askpass),
            "CTS_GIT_ASKPASS_USERNAME": credentials.username,
            "CTS_GIT_ASKPASS_PASSWORD": credentials.password,
        }
        return env

    def credentials(self, url: RemoteUrl) -> Credentials | None:
        """The URL's own credentials first (a tenant's, ``tenants``); else, without a
        tenants file, the service token, only for listed hosts."""
        if url.scheme != "https":
            return None
        if url.username or url.password:
            return Credentials(url.username or "", url.password or "")
        if self._settings.git_tenants_file is not None:
            return None  # tenants get only their own credential
        if url.host not in self._settings.git_https_token_hosts:
            return None
        try:
            token = self._settings.https_token()
        except OSError:
            raise StepFailure(
                "https token unavailable", "the file CTS_GIT_HTTPS_TOKEN_FILE cannot be read"
            ) from None
        return Credentials(self._settings.git_https_username, token) if token else None

    def secrets(self, *extra: str) -> tuple[str, ...]:
        """Everything to redact: the service token and the given values (a URL's)."""
        try:
            token = self._settings.https_token()
        except OSError:
            token = None
        return (*extra, *((token,) if token else ()))
