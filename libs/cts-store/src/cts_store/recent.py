"""The last version of each active session this process saved, so the orchestrator's hot path
decides from memory instead of reading the document it just wrote.

Correctness never rests on it: every change is still a compare-and-set claim on ``version``,
so a stale entry (another replica moved the session) costs one lost claim and one reload.
"""

from __future__ import annotations

from cachetools import LRUCache

from cts_core import Scope, Session

DEFAULT_SIZE = 1024
"""Active sessions per replica; a finished session is dropped at once (only duplicates follow)."""


class RecentSessions:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._items: LRUCache[str, Session] = LRUCache(maxsize=size)

    def get(self, scope: Scope, session_id: str) -> Session | None:
        """The remembered session, or ``None`` (never seen, evicted, or another tenant's)."""
        session = self._items.get(session_id)
        if session is None or session.scope != scope:
            return None
        return session

    def put(self, session: Session) -> None:
        if session.finished:
            self._items.pop(session.id, None)
        else:
            self._items[session.id] = session

    def sessions(self) -> list[Session]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)
