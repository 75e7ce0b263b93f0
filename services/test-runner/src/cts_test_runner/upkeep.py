"""What a replica tidies between runs, at most every ``CTS_DEPS_CACHE_SWEEP_INTERVAL_S``:
dependency cache entries past their age or beyond the size limit, and run roles (with their
databases) that a runner which died never dropped. Never in the way of a run: it happens
after one, and a failure is only logged."""

from __future__ import annotations

import asyncio
import time

from cts_runtime.logs import get_logger
from cts_test_runner.dependencies.eviction import Limits, sweep
from cts_test_runner.reach.postgres_admin import DatabaseUnavailable, PostgresAdmin
from cts_test_runner.settings import TestRunnerSettings

log = get_logger(__name__)

ROLE_GRACE_S = 3600
"""Beyond the longest a run can take, before its role counts as abandoned."""


class Upkeep:
    def __init__(self, settings: TestRunnerSettings) -> None:
        self._settings = settings
        self._last: float | None = None
        self._busy = asyncio.Lock()

    async def after_run(self) -> None:
        interval = self._settings.deps_cache_sweep_interval_s
        if self._busy.locked() or (
            self._last is not None and time.monotonic() - self._last < interval
        ):
            return
        async with self._busy:
            self._last = time.monotonic()
            await self._evict()
            await self._drop_abandoned_roles()

    async def _evict(self) -> None:
        settings = self._settings
        limits = Limits(
            max_bytes=settings.deps_cache_max_bytes,
            max_age_s=settings.deps_cache_max_age_s,
            stale_partial_s=settings.deps_timeout_s * 2,
        )
        try:
            removed = await asyncio.to_thread(
                sweep, settings.workspace_root / ".build-cache", limits
            )
        except OSError as exc:
            log.warning("dependency cache sweep failed", error=str(exc))
            return
        if removed:
            log.info("dependency cache swept", removed=len(removed))

    async def _drop_abandoned_roles(self) -> None:
        url = self._settings.database_url()
        if url is None:
            return
        settings = self._settings
        admin = PostgresAdmin(url, connect_timeout_s=settings.test_database_connect_timeout_s)
        longest = settings.deps_timeout_s + settings.test_timeout_s + ROLE_GRACE_S
        try:
            dropped = await admin.sweep(older_than_s=longest)
        except DatabaseUnavailable as unavailable:
            log.warning("abandoned run roles not swept", why=str(unavailable))
            return
        if dropped:
            log.info("abandoned run roles dropped", roles=dropped)
