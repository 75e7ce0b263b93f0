"""Which offset of one partition may be committed while its messages finish out of order.

Kafka keeps one committed offset per partition: "everything before it is done". When
messages of a partition finish in any order, that offset may only move up to the lowest
message not yet finished; committing a later one would lose the unfinished message if the
process died before it finished (nobody would receive it again).
"""

from __future__ import annotations

from collections import deque


class PartitionOffsets:
    """The messages of one partition received by this process and not yet committed, in the
    order received (Kafka delivers a partition's offsets in increasing order; gaps are fine)."""

    def __init__(self) -> None:
        self._open: deque[int] = deque()  # received, oldest first; only done ones are popped
        self._done: set[int] = set()  # finished but behind an unfinished one
        self._highest: int | None = None
        self._committed: int | None = None

    def received(self, offset: int) -> bool:
        """Track ``offset``; False for one already received (a duplicate delivery)."""
        if self._highest is not None and offset <= self._highest:
            return False
        self._highest = offset
        self._open.append(offset)
        return True

    def finished(self, offset: int) -> None:
        """``offset`` is done (handled or dead-lettered). Unknown offsets are ignored: a
        message received before the partition was revoked and given back."""
        if offset not in self._open or offset in self._done:
            return
        self._done.add(offset)
        while self._open and self._open[0] in self._done:
            self._done.discard(self._open.popleft())

    @property
    def unfinished(self) -> int:
        return len(self._open) - len(self._done)

    def commit_point(self) -> int | None:
        """The offset to commit ("next to read"): the lowest unfinished message, or the one
        after the highest received when all are finished; None before any message."""
        if self._open:
            return self._open[0]
        return None if self._highest is None else self._highest + 1

    def to_commit(self) -> int | None:
        """The commit point if it moved past what was committed."""
        point = self.commit_point()
        if point is None or (self._committed is not None and point <= self._committed):
            return None
        return point

    def committed(self, offset: int) -> None:
        if self._committed is None or offset > self._committed:
            self._committed = offset
