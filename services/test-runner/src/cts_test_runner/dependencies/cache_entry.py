"""One dependency cache entry: the fetched dependencies and the build made with them, for
one (project, ``mix.lock`` content, Elixir/OTP) key.

Layout under the project's build directory (``<workspace_root>/.build-cache/<account>/
<project>/deps/<key>/``): ``deps/`` (``MIX_DEPS_PATH``), ``build/`` (``MIX_BUILD_ROOT``: the
compiled dependencies, and the project's own build on top), ``hex/`` (``HEX_HOME`` while
fetching) and ``ready.json``, written last, atomically: an entry without it is incomplete
(a fetch that failed or a runner that died) and is prepared again from scratch. The marker's
modification time is the entry's last use, which eviction goes by.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_test_runner.toolchain import Toolchain

MARKER = "ready.json"
PARTS = ("deps", "build", "hex")


@dataclass(frozen=True)
class CacheEntry:
    root: Path

    @property
    def deps(self) -> Path:
        return self.root / "deps"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def hex(self) -> Path:
        return self.root / "hex"

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    def ready(self) -> bool:
        return self.marker.is_file()

    def touch(self) -> None:
        """Record a use (eviction keeps the most recently used entries)."""
        os.utime(self.marker)

    def reset(self) -> None:
        """An empty entry, whatever an earlier attempt left."""
        self.marker.unlink(missing_ok=True)
        for part in PARTS:
            shutil.rmtree(self.root / part, ignore_errors=True)
            (self.root / part).mkdir(parents=True)

    def mark_ready(self, details: dict[str, Any]) -> int:
        """Write the marker last; returns the entry's size in bytes."""
        size = directory_bytes(self.root)
        temporary = self.root / f".{MARKER}.tmp"
        temporary.write_text(json.dumps({**details, "bytes": size, "ready_at": time.time()}))
        temporary.replace(self.marker)
        return size

    def size(self) -> int:
        try:
            return int(json.loads(self.marker.read_text()).get("bytes", 0))
        except (OSError, ValueError):
            return 0


def entry_for(project_dir: Path, lock: bytes, toolchain: Toolchain) -> CacheEntry:
    digest = hashlib.sha256(b"\0".join([lock, toolchain.elixir.encode(), toolchain.otp.encode()]))
    name = f"elixir-{toolchain.elixir}-otp-{toolchain.otp}-{digest.hexdigest()[:20]}"
    return CacheEntry(project_dir / "deps" / name)


def directory_bytes(top: Path) -> int:
    total = 0
    for current, _, files in os.walk(top):
        for name in files:
            try:
                total += os.lstat(os.path.join(current, name)).st_size
            except OSError:
                continue
    return total
