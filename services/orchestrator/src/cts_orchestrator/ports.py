"""What the orchestrator needs from the outside world, as small interfaces. The real ones are
in ``adapters`` (``cts_store``, Kafka, the system clock); unit tests pass fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cts_core import Scope, Session
from cts_store import Loaded


class SessionRepository(Protocol):
    """Sessions as the writer sees them (``cts_store.SessionStore``)."""

    async def create_or_get(self, session: Session) -> tuple[Session, bool]: ...

    async def load(self, scope: Scope, session_id: str) -> Loaded | None: ...

    async def claim(self, previous: Session, session: Session) -> Session | None:
        """Compare-and-set: ``session`` at ``previous.version + 1``, or ``None`` if taken."""
        ...


class Documents(Protocol):
    """The session documents behind the claims (``cts_store.WriteBehind``)."""

    async def later(self, session: Session) -> None: ...

    async def now(self, session: Session) -> None: ...

    async def flush(self) -> int: ...


class Publisher(Protocol):
    async def publish(self, topic: str, key: str, payload: bytes) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Liveness(Protocol):
    async def alive(self, instance_id: str) -> bool: ...


Recorded = Callable[[Session], None]
"""Called with every decision once it is claimed and before its messages go out: the hook
where the reliability tests inject a crash (``faults``)."""


def nothing_recorded(session: Session) -> None:
    """The default ``Recorded`` hook."""
