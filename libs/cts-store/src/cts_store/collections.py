"""Every collection CTS keeps, named once: the services' stores use these names, and retention
(``retention``) knows from them what belongs to a session."""

from __future__ import annotations

SESSIONS = "sessions"
SESSION_VERSIONS = "session_versions"
"""``_id``: ``<session id>#<version>`` (``versions.version_id``)."""
ORCHESTRATOR_INSTANCES = "orchestrator_instances"
AGENT_CLAIMS = "agent_claims"
"""``_id``: the interaction id; one per agent step attempt."""
AGENT_TRANSCRIPTS = "agent_transcripts"
"""``_id``: the session id; the agent's conversation (up to 1 MB)."""
