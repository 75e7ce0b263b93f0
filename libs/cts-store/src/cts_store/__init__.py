"""CTS MongoDB repositories on PyMongo's async API: sessions (with the outbox) and artifacts."""

from cts_store.artifacts import ArtifactStore, cap_text
from cts_store.client import connect
from cts_store.instances import Instances
from cts_store.recent import RecentSessions
from cts_store.sessions import Claimed, Page, SessionStore
from cts_store.write_behind import WriteBehind

__all__ = [
    "ArtifactStore",
    "Claimed",
    "Instances",
    "Page",
    "RecentSessions",
    "SessionStore",
    "WriteBehind",
    "cap_text",
    "connect",
]
