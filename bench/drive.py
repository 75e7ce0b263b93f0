"""Two ways to drive sessions: one at a time (latency) or all at once (throughput)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import count

from bench.systems import Deployment


@dataclass(frozen=True)
class Burst:
    started: int
    finished: int
    seconds: float
    """From the first request to the last session seen finished."""

    @property
    def complete(self) -> bool:
        return self.finished == self.started


class Driver:
    """Numbers every session of a deployment, so request ids never repeat within a run."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._numbers = count()

    async def one(self, *, within: float = 60) -> str:
        """Start one session and wait until it finished."""
        executor = self.deployment.executor
        session_id, body = self.deployment.request(next(self._numbers))
        await executor.send_request(self.deployment.requests_topic, session_id, body)
        await executor.wait_finished([session_id], within=within)
        return session_id

    async def burst(self, sessions: int, *, within: float) -> Burst:
        """Publish ``sessions`` requests at once; time until the last one finished, or until
        ``within`` seconds passed (then the rate counts the sessions that did finish)."""
        executor = self.deployment.executor
        requests = [self.deployment.request(next(self._numbers)) for _ in range(sessions)]
        started = time.perf_counter()
        for session_id, body in requests:
            await executor.send_request(self.deployment.requests_topic, session_id, body)
        ids = [session_id for session_id, _ in requests]
        try:
            last = await executor.wait_finished(ids, within=within)
        except TimeoutError:
            times = [executor.tally.finished[s][1] for s in ids if s in executor.tally.finished]
            return Burst(
                sessions, len(times), (max(times) if times else time.perf_counter()) - started
            )
        return Burst(sessions, sessions, last - started)
