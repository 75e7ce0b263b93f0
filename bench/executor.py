"""The instant executor on raw aiokafka: answers every command at once and times each hop.

A hop is the time from this process publishing a message for a session (a request, or a
``StepCompleted``) to this process receiving that session's next command: exactly the
orchestrator's (or the floor's) share of a transition plus two Kafka deliveries. Both ends
are timed with one monotonic clock in one process. The same executor serves CTS and the
floor, so the executor side adds the same to both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from bench import answers

FailWhen = Callable[[dict[str, Any]], bool]
"""(command data) -> should this RunTests answer ``error``."""


@dataclass(frozen=True)
class Hop:
    after: str
    """What this process sent before the command arrived: ``request`` or ``completion``."""
    step: str
    fix_attempt: int
    seconds: float


@dataclass
class Tally:
    hops: list[Hop] = field(default_factory=list)
    finished: dict[str, tuple[str, float]] = field(default_factory=dict)
    commands: int = 0


class InstantExecutor:
    def __init__(
        self,
        bootstrap: str,
        *,
        command_topics: Iterable[str],
        results_topic: str,
        finished_topic: str,
        group_id: str,
        fail_when: FailWhen | None = None,
        security: dict[str, Any] | None = None,
    ) -> None:
        self._topics = [*command_topics, finished_topic]
        self._finished_topic = finished_topic
        self._results_topic = results_topic
        self._fail_when = fail_when
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            auto_offset_reset="earliest",
            enable_auto_commit=True,
            **(security or {}),
        )
        # The same producer settings as every CTS service: idempotent, acks=all.
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, **(security or {})
        )
        self.tally = Tally()
        self._sent_at: dict[str, tuple[str, float]] = {}
        self._progress = asyncio.Event()
        self._errors: list[BaseException] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> InstantExecutor:
        await self.producer.start()
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="instant-executor")
        await self._wait_for_assignment()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self._consumer.stop()
        except (asyncio.CancelledError, KafkaError):
            # aiokafka re-raises a fetch still retrying (after an overload) at stop: the
            # measurements are taken by now, and they must not be lost to it.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
        finally:
            await self.producer.stop()

    async def _wait_for_assignment(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        wanted = set(self._topics)
        while {tp.topic for tp in self._consumer.assignment()} != wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"executor got no assignment for {sorted(wanted)}")
            await asyncio.sleep(0.05)

    async def send_request(self, topic: str, session_id: str, body: bytes) -> None:
        """Publish a session request and start this session's first hop."""
        self._sent_at[session_id] = ("request", time.perf_counter())
        future = await self.producer.send(topic, body, key=session_id.encode())
        future.add_done_callback(self._check)

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            received = time.perf_counter()
            for records in batch.values():
                for record in records:
                    if record.topic == self._finished_topic:
                        self._on_finished(record.value, received)
                    else:
                        await self._answer(record.value, received)
            if batch:
                self._progress.set()

    async def _answer(self, value: bytes, received: float) -> None:
        command = json.loads(value)["data"]
        session_id = command["session_id"]
        self.tally.commands += 1
        previous = self._sent_at.pop(session_id, None)
        if previous is not None:
            after, sent = previous
            self.tally.hops.append(
                Hop(after, command["step"], command.get("fix_attempt", 0), received - sent)
            )
        fail = self._fail_when(command) if self._fail_when else False
        body = answers.completion(command, fail=fail)
        self._sent_at[session_id] = ("completion", time.perf_counter())
        future = await self.producer.send(self._results_topic, body, key=session_id.encode())
        future.add_done_callback(self._check)

    def _on_finished(self, value: bytes, received: float) -> None:
        data = json.loads(value)["data"]
        self._sent_at.pop(data["session_id"], None)
        self.tally.finished[data["session_id"]] = (data["status"], received)

    def _check(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self._errors.append(future.exception())  # type: ignore[arg-type]

    async def wait_finished(self, session_ids: Iterable[str], *, within: float) -> float:
        """Wait until every session finished; returns when the last one was seen."""
        wanted = set(session_ids)
        deadline = time.monotonic() + within
        while True:
            self._progress.clear()
            if self._errors:
                raise RuntimeError(f"publishing failed: {self._errors[0]!r}")
            done = [self.tally.finished[s] for s in wanted if s in self.tally.finished]
            if len(done) == len(wanted):
                failed = sorted({status for status, _ in done} - {"complete"})
                if failed:
                    raise RuntimeError(f"sessions ended {failed}, expected complete")
                return max((at for _, at in done), default=time.perf_counter())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(wanted) - len(done)} of {len(wanted)} not finished")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), timeout=min(remaining, 1.0))
