"""The last version of each active session this process saved, so the orchestrator's hot path
decides from memory instead of reading the document it just wrote.

Correctness never rests on it: every write is still a compare-and-set on ``version``, so a
stale entry (another replica moved the session) costs one failed write and one reload.
"""

from __future__ import annotations

from collections import OrderedDict

from cts_core import Scope, Session

DEFAULT_SIZE = 1024
"""Active sessions per replica; a finished session is dropped at once (only duplicates follow)."""


class RecentSessions:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._size = size

    def get(self, scope: Scope, session_id: str) -> Session | None:
        """The remembered session, or ``None`` (never seen, evicted, or another tenant's)."""
        session = self._items.get(session_id)
        if session is None:
            return None
        if (session.account_id, session.project_id) != (scope.account_id, scope.project_id):
            return None
        return session

    def put(self, session: Session) -> None:
        if session.finished:
            self._items.pop(session.id, None)
            return
        self._items[session.id] = session
        self._items.move_to_end(session.id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def sessions(self) -> list[Session]:
        return list(self._items.values())

    def forget(self, session_id: str) -> None:
        self._items.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._items)
