"""How often a RunTests was started and never finished, kept on the shared volume.

The sandbox keeps tests from killing the runner, but a run can still take the runner's whole
container down with it (memory: the kernel's OOM killer takes the pod). The message is then
redelivered and would kill the next runner too, blocking its partition. Each start appends one
byte to a file named for the interaction and a finished run removes it, so a restarted runner
(or another replica) sees how many starts already died and answers instead of running again.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

MAX_AGE_S = 7 * 24 * 3600


class StartLedger:
    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, interaction_id: str) -> Path:
        return self._dir / hashlib.sha256(interaction_id.encode()).hexdigest()[:32]

    def begin(self, interaction_id: str) -> int:
        """Record a start; returns how many starts (this one included) are unfinished."""
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(interaction_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, b".")  # appends are atomic: replicas never lose a count
            return os.fstat(fd).st_size
        finally:
            os.close(fd)

    def end(self, interaction_id: str) -> None:
        self._path(interaction_id).unlink(missing_ok=True)

    def sweep(self, now: float | None = None) -> int:
        """Forget starts older than a week (their sessions are long over)."""
        if not self._dir.is_dir():
            return 0
        cutoff = (now if now is not None else time.time()) - MAX_AGE_S
        removed = 0
        for entry in self._dir.iterdir():
            if entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed
