"""Bounded capture of a process's output: the head and the tail, never the middle.

Generated tests are untrusted and may print without end; the runner keeps at most ``cap``
bytes while streaming, so a test printing 50 MB costs a few MiB of memory, not 50.
"""

from __future__ import annotations

from collections import deque


class CappedOutput:
    """Keeps the first ``cap // 2`` bytes and the last ``cap - cap // 2`` bytes."""

    def __init__(self, cap: int) -> None:
        if cap < 2:
            raise ValueError("cap must be at least 2 bytes")
        self._head_cap = cap // 2
        self._tail_cap = cap - self._head_cap
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0

    def write(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self._tail.append(chunk)
        self._tail_size += len(chunk)
        while self._tail_size - len(self._tail[0]) >= self._tail_cap:
            self._tail_size -= len(self._tail.popleft())

    @property
    def truncated(self) -> bool:
        return self.total > self._head_cap + self._tail_cap

    def render(self) -> str:
        """The captured text (UTF-8, undecodable bytes replaced) with a marker at any cut."""
        tail = b"".join(self._tail)
        kept_tail = tail[-self._tail_cap :] if self._tail_cap else b""
        head = self._head.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + kept_tail.decode("utf-8", errors="replace")
        omitted = self.total - len(self._head) - len(kept_tail)
        marker = f"\n\n[... output truncated: {omitted} bytes omitted ...]\n\n"
        return head + marker + kept_tail.decode("utf-8", errors="replace")
