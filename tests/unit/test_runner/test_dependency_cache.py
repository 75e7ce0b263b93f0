"""Dependency cache entries: one key per lock and toolchain, ready only once marked, and
eviction by age, then least recent use beyond the size limit, never while the project's
build lock is held."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from cts_test_runner.dependencies.cache_entry import CacheEntry, entry_for
from cts_test_runner.dependencies.eviction import Limits, sweep
from cts_test_runner.toolchain import Toolchain

OLD, NEW = Toolchain("1.14.0", "25.2.3"), Toolchain("1.15.7", "26.1")
DAY = 86400.0


def test_a_changed_lock_or_toolchain_is_another_entry(tmp_path: Path) -> None:
    first = entry_for(tmp_path, b"lock one", OLD)
    assert entry_for(tmp_path, b"lock one", OLD) == first
    assert entry_for(tmp_path, b"lock two", OLD) != first
    assert entry_for(tmp_path, b"lock one", NEW) != first
    assert first.root.parent == tmp_path / "deps"
    assert first.root.name.startswith("elixir-1.14.0-otp-25.2.3-")


def test_an_entry_is_ready_only_once_marked_and_a_reset_empties_it(tmp_path: Path) -> None:
    entry = entry_for(tmp_path, b"lock", OLD)
    entry.reset()
    (entry.deps / "cts_slug").mkdir()
    (entry.deps / "cts_slug" / "mix.exs").write_text("x" * 100)
    assert not entry.ready()

    size = entry.mark_ready({"fetch_s": 1.0})

    assert entry.ready()
    assert size == entry.size() == 100
    entry.reset()
    assert not entry.ready()
    assert list(entry.deps.iterdir()) == []


def _entry(
    build_root: Path, project: str, name: str, *, size: int, used_ago_s: float
) -> CacheEntry:
    entry = CacheEntry(build_root / "acme" / project / "deps" / name)
    entry.reset()
    (entry.deps / "blob").write_bytes(b"x" * size)
    entry.mark_ready({})
    used = time.time() - used_ago_s
    os.utime(entry.marker, (used, used))
    return entry


def test_old_entries_go_then_the_least_recently_used_beyond_the_size(tmp_path: Path) -> None:
    stale = _entry(tmp_path, "shop", "a", size=10, used_ago_s=30 * DAY)
    oldest = _entry(tmp_path, "shop", "b", size=600, used_ago_s=3 * DAY)
    recent = _entry(tmp_path, "blog", "c", size=600, used_ago_s=1 * DAY)
    newest = _entry(tmp_path, "blog", "d", size=100, used_ago_s=60)

    removed = sweep(tmp_path, Limits(max_bytes=1000, max_age_s=14 * DAY, stale_partial_s=DAY))

    assert sorted(removed) == sorted([stale.root, oldest.root])
    assert recent.ready()
    assert newest.ready()


def test_an_entry_in_use_is_never_evicted(tmp_path: Path) -> None:
    busy = _entry(tmp_path, "shop", "a", size=10, used_ago_s=30 * DAY)
    fd = os.open(tmp_path / "acme" / "shop" / ".lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as the build cache holds it for a whole run
    try:
        removed = sweep(tmp_path, Limits(max_bytes=0, max_age_s=DAY, stale_partial_s=DAY))
    finally:
        os.close(fd)

    assert removed == []
    assert busy.ready()


def test_an_incomplete_entry_left_behind_goes_once_it_is_old(tmp_path: Path) -> None:
    recent = entry_for(tmp_path / "acme" / "shop", b"one", OLD)
    recent.reset()
    abandoned = entry_for(tmp_path / "acme" / "shop", b"two", OLD)
    abandoned.reset()
    long_ago = time.time() - 2 * DAY
    os.utime(abandoned.root, (long_ago, long_ago))

    removed = sweep(tmp_path, Limits(max_bytes=10**9, max_age_s=30 * DAY, stale_partial_s=DAY))

    assert removed == [abandoned.root]
    assert recent.root.is_dir()
