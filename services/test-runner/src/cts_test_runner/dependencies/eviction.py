"""Evicting dependency cache entries: by age, then the least recently used beyond the size
limit; never an entry in use.

An entry is in use while its project's build lock is held (the runner holds it for a whole
run, from preparing the dependencies to the last test), so eviction takes each project's lock
without waiting and skips a project whose lock is busy, here or on another replica sharing
the volume. Incomplete entries (no marker) older than the dependency timeout are debris of a
failed or interrupted preparation and go too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.dependencies.cache_entry import CacheEntry

log = get_logger(__name__)

LOCK_FILE = ".lock"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_age_s: float
    stale_partial_s: float


@dataclass(frozen=True)
class _Candidate:
    entry: CacheEntry
    project: Path
    last_used: float
    size: int


def sweep(build_root: Path, limits: Limits, *, now: float | None = None) -> list[Path]:
    """Remove what the limits say must go; returns the removed entries (blocking)."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    kept: list[_Candidate] = []
    for project in _projects(build_root):
        with _held(project) as free:
            if not free:
                continue
            for entry in _entries(project):
                if not entry.ready():
                    if now - entry.root.stat().st_mtime > limits.stale_partial_s:
                        removed.append(_remove(entry, "incomplete"))
                    continue
                last_used = entry.marker.stat().st_mtime
                if now - last_used > limits.max_age_s:
                    removed.append(_remove(entry, "unused too long"))
                else:
                    kept.append(_Candidate(entry, project, last_used, entry.size()))
    total = sum(candidate.size for candidate in kept)
    for candidate in sorted(kept, key=lambda c: c.last_used):
        if total <= limits.max_bytes:
            break
        with _held(candidate.project) as free:
            if free and candidate.entry.marker.exists():
                removed.append(_remove(candidate.entry, "over the size limit"))
                total -= candidate.size
    return removed


def _projects(build_root: Path) -> Iterator[Path]:
    if not build_root.is_dir():
        return
    for account in sorted(build_root.iterdir()):
        if account.is_dir():
            yield from (p for p in sorted(account.iterdir()) if (p / "deps").is_dir())


def _entries(project: Path) -> list[CacheEntry]:
    return [CacheEntry(path) for path in sorted((project / "deps").iterdir()) if path.is_dir()]


@contextlib.contextmanager
def _held(project: Path) -> Iterator[bool]:
    """The project's build lock if nobody holds it (a separate open file: a holder in this
    very process blocks it as well)."""
    fd = os.open(project / LOCK_FILE, os.O_CREAT | os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _remove(entry: CacheEntry, why: str) -> Path:
    # The marker first: a half-removed entry is then incomplete, never "ready".
    entry.marker.unlink(missing_ok=True)
    shutil.rmtree(entry.root, ignore_errors=True)
    log.info("dependency cache entry evicted", entry=str(entry.root), why=why)
    return entry.root
