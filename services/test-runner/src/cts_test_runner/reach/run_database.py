"""The database side of one run: the environment that points the run at its database, and
the relay behind the run's loopback port.

Phoenix's convention is kept: ``MIX_TEST_PARTITION`` is unique per run (the app names its
test database ``..._test#{MIX_TEST_PARTITION}``), and ``PGHOST``/``PGPORT``/``PGUSER``/
``PGPASSWORD``/``DATABASE_URL`` name the run's own role. The role is created when the run
first connects, so a project that never touches a database costs nothing and does not depend
on the server. After the run, everything the role created is dropped.

Without a configured server the relay still listens: a connection then means the project
needs a database this test-runner does not have, and the run fails saying so, instead of
with a connection error from deep inside the app.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.reach.postgres_admin import DatabaseUnavailable, PostgresAdmin, run_role_name
from cts_test_runner.reach.unix_server import UnixServer, os_reason, splice

log = get_logger(__name__)

SETTING = "CTS_TEST_DATABASE_URL"
LOOPBACK_HOST = "localhost"


@dataclass
class DatabaseUse:
    connections: int = 0
    databases: list[str] = field(default_factory=list)
    """What the run created, dropped after it."""
    problem: str | None = None
    transient: bool = False
    """The server was down: trying again later may work."""


class RunDatabase:
    def __init__(self, admin: PostgresAdmin | None, *, port: int) -> None:
        self._admin = admin
        self._port = port
        self.role = run_role_name(secrets.token_hex(4))
        self._password = secrets.token_hex(16)
        self.partition = str(secrets.randbelow(10**9)).zfill(9)
        self._created = False
        self._creating = asyncio.Lock()
        self._server = UnixServer(self._handle)
        self.use = DatabaseUse()

    @property
    def port(self) -> int:
        return self._port

    @property
    def secrets(self) -> tuple[str, ...]:
        """What a run's output must not carry out (its password)."""
        return (self._password,)

    def environment(self) -> dict[str, str]:
        address = f"{LOOPBACK_HOST}:{self._port}"
        return {
            "MIX_TEST_PARTITION": self.partition,
            "PGHOST": LOOPBACK_HOST,
            "PGPORT": str(self._port),
            "PGUSER": self.role,
            "PGPASSWORD": self._password,
            "DATABASE_URL": f"postgres://{self.role}:{self._password}@{address}/{self.role}",
        }

    async def start(self, socket: Path) -> None:
        await self._server.start(socket)

    async def finish(self) -> DatabaseUse:
        """Stop relaying, then drop what the run created (its databases and its role)."""
        await self._server.close()
        if self._created and self._admin is not None:
            try:
                self.use.databases = await self._admin.drop_run_role(self.role)
            except DatabaseUnavailable as unavailable:
                log.warning("run role not dropped; a later sweep will", why=str(unavailable))
            else:
                log.info("run database dropped", role=self.role, databases=self.use.databases)
        return self.use

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.use.connections += 1
        if self._admin is None:
            self._fail(
                f"the project connects to a database ({LOOPBACK_HOST}:{self._port} in its run), "
                f"but this test-runner has none configured: set {SETTING} (or {SETTING}_FILE) "
                "to a PostgreSQL server runs may create roles and databases on",
                transient=False,
            )
            return
        upstream = self._admin.upstream
        try:
            async with self._creating:
                if not self._created:
                    await self._admin.create_run_role(self.role, self._password)
                    self._created = True
            if upstream.socket is not None:
                connection = await asyncio.open_unix_connection(upstream.socket)
            else:
                connection = await asyncio.open_connection(upstream.host, upstream.port)
        except (DatabaseUnavailable, OSError) as exc:
            reason = str(exc) if isinstance(exc, DatabaseUnavailable) else os_reason(exc)
            self._fail(
                f"the run's database server {upstream} ({SETTING}) is not reachable: {reason}",
                transient=True,
            )
            return
        await splice((reader, writer), connection)

    def _fail(self, problem: str, *, transient: bool) -> None:
        if self.use.problem is None:
            self.use.problem, self.use.transient = problem, transient
            log.warning("run database unavailable", problem=problem)
