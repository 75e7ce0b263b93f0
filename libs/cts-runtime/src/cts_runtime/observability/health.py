"""Liveness and readiness: answers that tell the truth about what a replica can do.

Liveness only says the process and its event loop answer (and the app has not crashed): a
restart cannot fix an unreachable Kafka, so Kafka never fails liveness. Readiness says this
replica can do its work right now: Kafka answers and every given check (a MongoDB ping...)
passes within a short timeout.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

ReadinessCheck = Callable[[], Awaitable[object]]
"""An async callable that raises (or times out) when its dependency is not usable."""

_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/@\s]*@")
MAX_REASON = 300


@runtime_checkable
class Closable(Protocol):
    async def aclose(self) -> None: ...


def check_name(check: ReadinessCheck) -> str:
    return str(getattr(check, "name", None) or getattr(check, "__name__", "check"))


def reason(exc: BaseException) -> str:
    """A short reason a person can read; credentials in any URL are blanked out."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return _CREDENTIALS.sub(r"\1***@", text)[:MAX_REASON]


class MongoPing:
    """Readiness check: MongoDB answers ``ping``. Its own small client, opened on first use
    (in the running event loop, as PyMongo's async client requires) and closed at shutdown."""

    name = "mongodb"

    def __init__(self, uri: str, *, timeout_s: float = 2.0) -> None:
        self._uri = uri
        self._timeout_ms = int(timeout_s * 1000)
        self._client: AsyncMongoClient[dict[str, Any]] | None = None

    async def __call__(self) -> None:
        if self._client is None:
            self._client = AsyncMongoClient(
                self._uri,
                serverSelectionTimeoutMS=self._timeout_ms,
                connectTimeoutMS=self._timeout_ms,
                appname="cts-readiness",
            )
        await self._client.admin.command("ping")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


async def kafka_ready(broker: KafkaBroker, timeout_s: float) -> str | None:
    """None when the broker's consumers run and the cluster answers, else the reason."""
    if not broker.running:
        return "broker not started"
    if not await broker.ping(timeout_s):
        return f"no answer from Kafka within {timeout_s:g}s"
    return None


async def _run(check: ReadinessCheck, timeout_s: float) -> str | None:
    try:
        await asyncio.wait_for(check(), timeout=timeout_s)
    except Exception as exc:
        return reason(exc)
    return None


async def readiness(
    broker: KafkaBroker, checks: Sequence[ReadinessCheck], *, timeout_s: float
) -> dict[str, str]:
    """``{name: "ok" | reason}`` for Kafka and every check, all run at once."""
    names = ["kafka", *(check_name(c) for c in checks)]
    results = await asyncio.gather(
        kafka_ready(broker, timeout_s), *(_run(c, timeout_s) for c in checks)
    )
    return {name: result or "ok" for name, result in zip(names, results, strict=True)}


async def close_checks(checks: Sequence[ReadinessCheck]) -> None:
    for check in checks:
        if isinstance(check, Closable):
            await check.aclose()
