"""Settings for a project's dependencies: where they are cached, which hosts a fetch may
reach, and what Hex is told. All of it comes from the service's configuration, never from
an event."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

HTTPS_PORT = 443


class DependencySettings(BaseSettings):
    """A project's dependencies (the test-runner)"""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    deps_timeout_s: float = Field(
        default=900,
        gt=0,
        description="Fetching (mix deps.get) and compiling (mix deps.compile) one cache entry; "
        "then the run fails naming the step",
    )
    deps_cache_max_bytes: int = Field(
        default=20 * 1024**3,
        ge=0,
        description="Dependency cache entries (fetched and compiled dependencies per project, "
        "lock and toolchain) kept in total; the least recently used beyond it are evicted",
    )
    deps_cache_max_age_s: float = Field(
        default=14 * 86400, gt=0, description="An entry unused this long is evicted"
    )
    deps_cache_sweep_interval_s: float = Field(
        default=600, gt=0, description="How often a replica looks for entries to evict"
    )
    deps_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host[:port] (443 when omitted) a dependency fetch may reach through the "
        "runner's proxy, comma-separated: the git hosts of git dependencies, and Hex's "
        "repository unless CTS_HEX_MIRROR is set (its host is added by itself)",
    )
    deps_resolve: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host:port=address:port pairs (comma-separated): where the proxy connects "
        "for an allowed host instead of resolving it (e.g. an internal mirror)",
    )
    deps_ca_file: Path | None = Field(
        default=None,
        description="CA bundle fetches verify TLS against (git's GIT_SSL_CAINFO and Hex's "
        "HEX_CACERTS_PATH); unset: the system's",
    )
    hex_mirror: str | None = Field(
        default=None, description="HEX_MIRROR for fetches: a Hex repository mirror's https URL"
    )
    hex_offline: bool = Field(
        default=False, description="HEX_OFFLINE: Hex uses only what its home already holds"
    )
    hex_home: Path | None = Field(
        default=None,
        description="HEX_HOME for fetches (registry and package cache); unset: one per cache "
        "entry. A directory set here is shared by every project's fetches",
    )
    hex_repos_key: SecretStr | None = Field(
        default=None,
        description="HEX_REPOS_KEY (a private repository's or organisation's key), given to "
        "fetches only, never to a test run",
    )
    hex_repos_key_file: Path | None = Field(
        default=None, description="A mounted Secret holding it (read at every fetch)"
    )

    @field_validator("deps_allowed_hosts", "deps_resolve", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    @field_validator("hex_mirror")
    @classmethod
    def _https_mirror(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme != "https":
            raise ValueError("the Hex mirror must be an https URL (only https is proxied)")
        return value

    def fetch_hosts(self) -> frozenset[str]:
        """Every ``host:port`` a fetch may reach."""
        hosts = {host_port(item) for item in self.deps_allowed_hosts}
        if self.hex_mirror:
            parts = urlsplit(self.hex_mirror)
            hosts.add(f"{(parts.hostname or '').lower()}:{parts.port or HTTPS_PORT}")
        return frozenset(hosts)

    def resolved(self) -> dict[str, tuple[str, int]]:
        pinned = {}
        for item in self.deps_resolve:
            name, _, target = item.partition("=")
            address, _, port = target.rpartition(":")
            pinned[host_port(name)] = (address.strip("[]"), int(port))
        return pinned

    def repos_key(self) -> str | None:
        if self.hex_repos_key_file is not None:
            return self.hex_repos_key_file.read_text(encoding="utf-8").strip() or None
        return self.hex_repos_key.get_secret_value() if self.hex_repos_key else None


def host_port(item: str) -> str:
    """``host`` or ``host:port`` as ``host:port`` (443 by default), lowercase."""
    host, sep, port = item.strip().lower().rpartition(":")
    if not sep or not port.isdigit():
        return f"{item.strip().lower()}:{HTTPS_PORT}"
    return f"{host}:{int(port)}"
