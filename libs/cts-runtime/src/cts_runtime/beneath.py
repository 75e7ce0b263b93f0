"""Files opened beneath a directory, one path component at a time, never following a link.

Resolving a path and then opening it by name leaves a window in which a directory can be
swapped for a symlink (a check-then-open race). Here every component is opened relative to
the descriptor of its parent with ``O_NOFOLLOW``, so what is opened is always inside the root,
whatever changes meanwhile; a symlink anywhere on the way is refused, never followed. The
opened file is checked through its descriptor (a regular file, or a directory), and reads are
capped while streaming, so a huge file costs the cap, not its size.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

CHUNK = 64 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class NotBeneath(OSError):
    """The path leaves the root, goes through a link, or is not the kind of file asked for."""


def parts_of(relative: str) -> list[str]:
    """The path's components; refuses absolute paths, ``..``, NUL and backslashes."""
    if "\x00" in relative or "\\" in relative or relative.startswith("/"):
        raise NotBeneath(f"not a relative path: {relative!r}")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise NotBeneath(f"'..' is not allowed: {relative!r}")
    return parts


def _descend(root_fd: int, parts: list[str], *, create: bool) -> int:
    """A descriptor of the directory ``parts`` names under ``root_fd`` (a new descriptor)."""
    current = os.dup(root_fd)
    try:
        for depth, part in enumerate(parts, 1):
            child = _open_dir(current, part, create=create, shown="/".join(parts[:depth]))
            os.close(current)
            current = child
    except BaseException:
        os.close(current)
        raise
    return current


def _open_dir(parent: int, name: str, *, create: bool, shown: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise NotBeneath(f"{shown!r} is a symbolic link or not a directory") from None
        raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o755, dir_fd=parent)
    return _open_dir(parent, name, create=False, shown=shown)


@contextlib.contextmanager
def _root(root: Path) -> Iterator[int]:
    """The root itself is trusted (the caller chose it): opened by name, links allowed."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def open_beneath(
    root: Path,
    relative: str,
    flags: int = os.O_RDONLY,
    *,
    mode: int = 0o644,
    create_dirs: bool = False,
) -> int:
    """A descriptor of ``root/relative`` (or of ``root`` for an empty path); the caller closes
    it. It is opened with ``O_NONBLOCK`` so that opening a FIFO cannot hang: callers check
    the kind of file they got before reading or writing."""
    parts = parts_of(relative)
    with _root(root) as root_fd:
        if not parts:
            return os.dup(root_fd)
        parent = _descend(root_fd, parts[:-1], create=create_dirs)
        try:
            flags |= os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                return os.open(parts[-1], flags, mode, dir_fd=parent)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise NotBeneath(f"{relative!r} is a symbolic link") from None
                if exc.errno == errno.ENXIO:
                    raise NotBeneath(f"{relative!r} is not a regular file") from None
                raise
        finally:
            os.close(parent)


def make_dirs(root: Path, relative: str) -> None:
    """``mkdir -p root/relative`` through real directories only (never a link)."""
    with _root(root) as root_fd:
        os.close(_descend(root_fd, parts_of(relative), create=True))


def _check_regular(fd: int, relative: str) -> os.stat_result:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotBeneath(f"{relative!r} is not a regular file")
    return info


@contextlib.contextmanager
def open_regular(root: Path, relative: str) -> Iterator[tuple[int, os.stat_result]]:
    """A regular file beneath ``root`` opened for reading, with its ``fstat``."""
    fd = open_beneath(root, relative)
    try:
        info = _check_regular(fd, relative)
        os.set_blocking(fd, True)
        yield fd, info
    finally:
        os.close(fd)


def read_capped(root: Path, relative: str, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes of a regular file, and whether there was more."""
    with open_regular(root, relative) as (fd, _):
        data = bytearray()
        while len(data) <= cap:
            chunk = os.read(fd, min(CHUNK, cap + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    return bytes(data[:cap]), len(data) > cap


def read_text(root: Path, relative: str | None, cap: int) -> str | None:
    """A file's text (capped), or ``None`` when absent, not a regular file, or not beneath."""
    if relative is None:
        return None
    try:
        data, _ = read_capped(root, relative, cap)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")


def is_regular_file(root: Path, relative: str) -> bool:
    try:
        with open_regular(root, relative):
            return True
    except OSError:
        return False


def write_file(root: Path, relative: str, data: bytes) -> None:
    """Create or replace a regular file, creating its directories; no link is followed, and
    an existing non-regular file at the path (a FIFO, a directory) is refused."""
    flags = os.O_WRONLY | os.O_CREAT
    fd = open_beneath(root, relative, flags, create_dirs=True)
    try:
        _check_regular(fd, relative)
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def append_file(root: Path, relative: str, data: bytes, *, max_total: int) -> int:
    """Add ``data`` to the end of a regular file (created, with its directories, if absent),
    never following a link; refuses (``NotBeneath``) to let it grow past ``max_total`` bytes.
    Returns the file's new size."""
    fd = open_beneath(root, relative, os.O_WRONLY | os.O_CREAT | os.O_APPEND, create_dirs=True)
    try:
        size = _check_regular(fd, relative).st_size
        if size + len(data) > max_total:
            raise NotBeneath(
                f"{relative} would grow to {size + len(data)} bytes, over the {max_total}-byte cap"
            )
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return size + len(data)
    finally:
        os.close(fd)
