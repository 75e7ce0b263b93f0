"""Reading the workspace for the file tools without following links and with bounded memory:
lines streamed from a descriptor, and a directory walk by descriptors (``os.fwalk``)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cts_runtime import beneath

CHUNK = 64 * 1024
MAX_COUNTED = 256 * 1024 * 1024
"""Lines are counted up to this many bytes: past it, a file's length is given as a bound."""


@dataclass(frozen=True)
class Lines:
    text: str
    total: str
    """The file's line count, or "more than N" past ``MAX_COUNTED``."""
    capped: bool


class _Collector:
    """Keeps the bytes of lines [first, first + limit) up to ``cap`` bytes."""

    def __init__(self, first: int, limit: int, cap: int) -> None:
        self.line = 1
        self.first, self.end, self.cap = first, first + limit, cap
        self.kept = bytearray()
        self.capped = False

    @property
    def done(self) -> bool:
        return self.capped or self.line >= self.end

    def feed(self, chunk: bytes) -> None:
        start = 0
        while start < len(chunk) and not self.done:
            newline = chunk.find(b"\n", start)
            stop = len(chunk) if newline < 0 else newline + 1
            if self.line >= self.first:
                room = self.cap - len(self.kept)
                piece = chunk[start:stop]
                self.kept += piece[:room]
                self.capped = len(piece) > room
            if newline >= 0:
                self.line += 1
            start = stop


def read_lines(fd: int, *, offset: int, limit: int, cap: int) -> Lines:
    """Lines ``offset``.. of an open file, at most ``limit`` lines and ``cap`` bytes; the rest
    of the file is only counted, a chunk at a time."""
    collector = _Collector(offset, limit, cap)
    newlines = scanned = 0
    last = b""
    while scanned < MAX_COUNTED:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            break
        if not collector.done:
            collector.feed(chunk)
        newlines += chunk.count(b"\n")
        scanned += len(chunk)
        last = chunk[-1:]
    else:
        total = f"more than {newlines}"
        return Lines(collector.kept.decode("utf-8", "ignore"), total, collector.capped)
    count = newlines + (1 if last not in (b"", b"\n") else 0)
    return Lines(collector.kept.decode("utf-8", "ignore"), str(count), collector.capped)


@dataclass(frozen=True)
class WalkedFile:
    """One entry of a walk. ``read_text`` works only while the walk is at this entry."""

    path: str
    is_dir: bool
    link: str | None
    _dir_fd: int
    _name: str

    def read_text(self, cap: int) -> str | None:
        """The text of a regular UTF-8 file of at most ``cap`` bytes, else ``None``."""
        if self.is_dir or self.link is not None:
            return None
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self._name, flags, dir_fd=self._dir_fd)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
                return None
            os.set_blocking(fd, True)
            data = bytearray()
            while len(data) <= cap and (chunk := os.read(fd, CHUNK)):
                data += chunk
            return data.decode("utf-8") if len(data) <= cap else None
        except (OSError, UnicodeDecodeError):
            return None
        finally:
            os.close(fd)


def walk(root: Path, relative: str, *, skip: frozenset[str]) -> Iterator[WalkedFile]:
    """Every entry under ``root/relative`` (which must be a real directory beneath ``root``),
    directories before their contents; links are reported, never followed; names in ``skip``
    are left out with everything under them."""
    top = beneath.open_beneath(root, relative, os.O_RDONLY | os.O_DIRECTORY)
    prefix = f"{relative}/" if relative else ""
    try:
        for current, dirs, files, dir_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in skip)
            here = "" if current == "." else current.removeprefix("./") + "/"
            for name in [*dirs, *sorted(f for f in files if f not in skip)]:
                yield _entry(f"{prefix}{here}{name}", name, dir_fd)
    finally:
        os.close(top)


def _entry(path: str, name: str, dir_fd: int) -> WalkedFile:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return WalkedFile(path, False, None, dir_fd, name)
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError:
            target = "?"
        return WalkedFile(path, False, target, dir_fd, name)
    return WalkedFile(path, stat.S_ISDIR(info.st_mode), None, dir_fd, name)
