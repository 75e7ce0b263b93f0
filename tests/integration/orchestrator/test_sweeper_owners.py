"""Recovery re-publishes an outbox only when the process that wrote it stopped beating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cts_contracts import Step
from cts_orchestrator.bootstrap import bootstrap
from cts_orchestrator.service import Policy
from cts_orchestrator.sweeper import Sweeper
from cts_store import Instances, SessionStore, WriteBehind
from cts_testing.factories import session_request

DEADLINES = dict.fromkeys(Step, timedelta(minutes=5))


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def publish(self, topic: str, key: str, payload: bytes) -> None:
        self.sent.append(topic)


async def test_only_outboxes_of_silent_writers_are_re_published(mongo_db: Any) -> None:
    store, instances, clock = SessionStore(mongo_db), Instances(mongo_db), Clock()
    writer_pub, rescuer_pub = Recorder(), Recorder()
    documents = WriteBehind(store, delay_s=0)
    writer = bootstrap(store, documents, writer_pub, clock, Policy(DEADLINES),
                       instance_id="writer")  # fmt: skip
    rescuer = bootstrap(store, documents, rescuer_pub, clock, Policy(DEADLINES),
                        instance_id="rescuer")  # fmt: skip
    sweepers = {
        name: Sweeper(orch, store, instances, clock, interval_s=1, outbox_grace_s=10)
        for name, orch in (("writer", writer), ("rescuer", rescuer))
    }
    request = session_request()
    await sweepers["writer"].beat()
    await writer.service.on_session_requested(request)  # published; stays in the outbox
    assert len(writer_pub.sent) == 1

    clock.at += timedelta(seconds=11)
    await sweepers["writer"].beat()
    await sweepers["rescuer"].beat()
    assert await sweepers["rescuer"].sweep_once() == 0, "the writer is alive"
    assert rescuer_pub.sent == []

    clock.at += timedelta(seconds=11)  # the writer stopped beating
    await sweepers["rescuer"].beat()
    assert await sweepers["rescuer"].sweep_once() == 1
    assert rescuer_pub.sent == writer_pub.sent
    stored = await mongo_db["sessions"].find_one({"_id": request.session_id})
    assert stored["outbox"] == [], "re-published once, then marked published"
    assert await sweepers["rescuer"].sweep_once() == 0


async def test_a_writer_whose_own_beats_failed_never_re_publishes_its_own_outbox(
    mongo_db: Any,
) -> None:
    """During a database outage a replica's beats fail too; its sweeper still runs, so this
    replica is alive whatever its record says: its own outbox is not a gone writer's."""
    store, instances, clock = SessionStore(mongo_db), Instances(mongo_db), Clock()
    published = Recorder()
    writer = bootstrap(store, WriteBehind(store, delay_s=0), published, clock, Policy(DEADLINES),
                       instance_id="writer")  # fmt: skip
    sweeper = Sweeper(writer, store, instances, clock, interval_s=1, outbox_grace_s=10)
    await sweeper.beat()
    await writer.service.on_session_requested(session_request())
    assert len(published.sent) == 1

    clock.at += timedelta(seconds=60)  # no beat since: its record says it is gone
    assert await sweeper.sweep_once() == 0
    assert len(published.sent) == 1, "its own outbox was sent again"
