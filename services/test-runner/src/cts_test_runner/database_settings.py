"""Settings for the database every run gets: the PostgreSQL server runs create their own
role and databases on, and how a sandboxed run reaches it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """A database per run (the test-runner)"""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    test_database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/database of a role allowed to "
        "create roles and databases (CREATEROLE, CREATEDB): each run gets a role of its own, "
        "its databases are dropped after the run. Unset: runs have no database, and a "
        "project that connects to one fails with a reason naming this setting",
    )
    test_database_url_file: Path | None = Field(
        default=None, description="A mounted Secret holding that URL (read at every run)"
    )
    test_database_port: int = Field(
        default=5432,
        ge=1,
        le=65535,
        description="The port a run connects to on its own loopback (PGPORT; PostgreSQL's and "
        "Phoenix's default), forwarded to the server",
    )
    test_database_connect_timeout_s: float = Field(
        default=10, gt=0, description="Connecting to the server to create or drop a run's role"
    )

    def database_url(self) -> str | None:
        if self.test_database_url_file is not None:
            return self.test_database_url_file.read_text(encoding="utf-8").strip() or None
        return self.test_database_url.get_secret_value() if self.test_database_url else None
