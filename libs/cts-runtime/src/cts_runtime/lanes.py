"""One at a time per key, in arrival order: a session's messages never overtake each other,
while different sessions' messages run side by side."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lanes(Generic[T]):
    def __init__(self) -> None:
        self._waiting: dict[Hashable, deque[T]] = {}  # a key present = one of its items runs
        self._count = 0

    def add(self, key: Hashable, item: T) -> bool:
        """True: ``key`` was idle and ``item`` runs now; False: it waits its turn."""
        waiting = self._waiting.get(key)
        if waiting is None:
            self._waiting[key] = deque()
            return True
        waiting.append(item)
        self._count += 1
        return False

    def next(self, key: Hashable) -> T | None:
        """The running item of ``key`` ended: the one to run next, or None (the key is idle)."""
        waiting = self._waiting.get(key)
        if not waiting:
            self._waiting.pop(key, None)
            return None
        self._count -= 1
        return waiting.popleft()

    def drop(self, unwanted: Callable[[T], bool]) -> int:
        """Forget the waiting items ``unwanted`` picks (the running ones are not affected)."""
        dropped = 0
        for waiting in self._waiting.values():
            kept = [item for item in waiting if not unwanted(item)]
            dropped += len(waiting) - len(kept)
            waiting.clear()
            waiting.extend(kept)
        self._count -= dropped
        return dropped

    @property
    def waiting(self) -> int:
        return self._count
