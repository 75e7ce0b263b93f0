"""Bounded retries with exponential backoff for git's network commands."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from cts_git_committer.failures import FailureKind, GitError
from cts_runtime.logs import get_logger

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

log = get_logger(__name__)


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3
    first_delay_s: float = 2.0
    max_delay_s: float = 30.0

    def delay(self, retry: int) -> float:
        """Full jitter: replicas that failed together do not retry together."""
        ceiling = min(self.max_delay_s, self.first_delay_s * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto

    async def run(
        self, operation: Callable[[], Awaitable[T]], *, sleep: Sleep = asyncio.sleep
    ) -> T:
        """Retry only network failures; anything else is not going to get better by waiting."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await operation()
            except GitError as error:
                if error.kind is not FailureKind.NETWORK or attempt == self.attempts:
                    raise
                delay = self.delay(attempt)
                log.warning(
                    "git network failure; retrying",
                    operation=error.operation,
                    attempt=attempt,
                    delay_s=round(delay, 2),
                    error=error.message[:300],
                )
                await sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
