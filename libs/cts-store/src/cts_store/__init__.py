"""CTS MongoDB repositories on PyMongo's async API: sessions (with the outbox), their version
claims, the orchestrator instances' heartbeats, the database server's time."""

from cts_store.client import connect
from cts_store.instances import Instances
from cts_store.paging import Page
from cts_store.recent import RecentSessions
from cts_store.server_clock import ServerClock
from cts_store.sessions import Loaded, SessionStore
from cts_store.write_behind import WriteBehind

__all__ = [
    "Instances",
    "Loaded",
    "Page",
    "RecentSessions",
    "ServerClock",
    "SessionStore",
    "WriteBehind",
    "connect",
]
