"""History is not kept forever: the orchestrator process, with a retention period, deletes a
finished session's document, versions, agent claim and transcript once the period is over,
and never an active session's, however old, nor a recently finished one's."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.integration.store.history import documents_of, stored_session
from tests.reliability.conftest import database
from tests.reliability.harness import fresh_topics, service_env, wait_until

KEEP = timedelta(minutes=10)
ACTIVE = {"sessions": 1, "session_versions": 1, "agent_claims": 1, "agent_transcripts": 1}
FINISHED = {**ACTIVE, "session_versions": 2}


async def test_finished_sessions_past_retention_are_deleted_active_ones_never(
    stack: Endpoints, tmp_path: Path
) -> None:
    async with (
        fresh_topics(stack, "retention", partitions=1) as prefix,
        database(stack, f"cts_{prefix.rstrip('.')}") as db,
    ):
        now = datetime.now(UTC)  # this machine runs the orchestrator and the server
        old = [await stored_session(db, f"old-{n}", started=now - 2 * KEEP,
                                    finished=now - KEEP - timedelta(minutes=n + 1))
               for n in range(3)]  # fmt: skip
        recent = await stored_session(db, "recent", started=now - 2 * KEEP,
                                      finished=now - KEEP / 2)  # fmt: skip
        # Older than the period, but active (its step's deadline is still ahead).
        active = await stored_session(db, "active", started=now - KEEP * 1.5, finished=None)
        env = service_env(
            stack, prefix, CTS_SESSION_RETENTION_S=str(KEEP.total_seconds()),
            CTS_RETENTION_SWEEP_INTERVAL_S="0.5", CTS_RETENTION_BATCH="2",
        )  # fmt: skip
        orchestrator = ServiceProcess("cts_orchestrator", env, tmp_path / "orch.log").start()
        try:

            async def old_ones_gone() -> bool:
                counts = [await documents_of(db, s) for s in old]
                return all(sum(c.values()) == 0 for c in counts)

            try:
                await wait_until(old_ones_gone, within=45, what="old sessions deleted")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{orchestrator.log_tail(40)}") from None
            assert await documents_of(db, recent) == FINISHED
            assert await documents_of(db, active) == ACTIVE
            assert orchestrator.alive()
        finally:
            orchestrator.stop()
            with contextlib.suppress(Exception):
                await db.client.drop_database(db.name)
