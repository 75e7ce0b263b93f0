"""The runner's own connection to the PostgreSQL server runs use: it creates each run's
role, and afterwards drops the role and every database the role created.

A run gets a role of its own (``LOGIN CREATEDB``, nothing more) with a random password, so a
test can create and drop its databases but cannot touch another run's or log in as anyone
else. The admin credentials never enter a sandbox. Role names carry their creation time, so
roles left by a runner that died are found and dropped later by any replica.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from cts_runtime.logs import get_logger

log = get_logger(__name__)

ROLE_PREFIX = "cts_run_"
DEFAULT_PORT = 5432
RUN_CONNECTION_LIMIT = 50


@dataclass(frozen=True)
class Upstream:
    """Where the server listens: a TCP address, or a Unix socket (``host`` a directory)."""

    host: str
    port: int

    @property
    def socket(self) -> str | None:
        return f"{self.host}/.s.PGSQL.{self.port}" if self.host.startswith("/") else None

    def __str__(self) -> str:
        return self.socket or f"{self.host}:{self.port}"


class DatabaseUnavailable(RuntimeError):
    """The server did not answer or refused the runner: the message names where, never how
    (no credentials)."""


class PostgresAdmin:
    def __init__(self, url: str, *, connect_timeout_s: float) -> None:
        params = conninfo_to_dict(url)
        self._url = url
        self._password = str(params.get("password") or "")
        self._timeout = max(1, round(connect_timeout_s))
        self.upstream = Upstream(
            str(params.get("host") or "localhost"), int(params.get("port") or DEFAULT_PORT)
        )

    async def create_run_role(self, role: str, password: str) -> None:
        statement = sql.SQL(
            "CREATE ROLE {} LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION "
            "CONNECTION LIMIT {} PASSWORD {}"
        ).format(sql.Identifier(role), sql.Literal(RUN_CONNECTION_LIMIT), sql.Literal(password))
        async with await self._connect() as conn:
            await conn.execute(statement)

    async def drop_run_role(self, role: str) -> list[str]:
        """Drop the databases ``role`` owns, then the role; returns the databases' names."""
        async with await self._connect() as conn:
            cursor = await conn.execute(
                "SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                "WHERE r.rolname = %s ORDER BY d.datname",
                (role,),
            )
            databases = [str(row[0]) for row in await cursor.fetchall()]
            for name in databases:
                await conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            await conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        return databases

    async def sweep(self, older_than_s: float) -> int:
        """Drop run roles (and their databases) created more than ``older_than_s`` ago."""
        async with await self._connect() as conn:
            cursor = await conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{ROLE_PREFIX}%",)
            )
            roles = [str(row[0]) for row in await cursor.fetchall()]
        cutoff = time.time() - older_than_s
        stale = [role for role in roles if (_created(role) or cutoff) < cutoff]
        for role in stale:
            await self.drop_run_role(role)
        return len(stale)

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        try:
            return await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=self._timeout
            )
        except psycopg.Error as exc:
            raise DatabaseUnavailable(self._reason(exc)) from None

    def _reason(self, exc: psycopg.Error) -> str:
        """The server's own words, first line, without where (the caller says) or secrets:
        'connection to server at "h", port 1 failed: Connection refused' -> 'Connection
        refused'."""
        lines = str(exc).strip().splitlines()
        text = lines[0].rsplit("failed: ", 1)[-1] if lines else type(exc).__name__
        if self._password:
            text = text.replace(self._password, "***")
        return text[:300]


def run_role_name(suffix: str) -> str:
    return f"{ROLE_PREFIX}{int(time.time())}_{suffix}"


def _created(role: str) -> int | None:
    stamp = role[len(ROLE_PREFIX) :].split("_", 1)[0]
    return int(stamp) if stamp.isdigit() else None
