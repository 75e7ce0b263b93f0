"""Handing a run's directories to the sandbox user when bubblewrap starts as root."""

from __future__ import annotations

import os
from pathlib import Path


def give_to(top: Path, uid: int, gid: int, *, created_inside: bool = False) -> None:
    """Give ``top`` and everything under it to the sandbox user (links themselves, not their
    targets); entries already owned are left alone.

    ``created_inside``: a directory whose contents only sandboxed commands write (a build, the
    dependencies): once its top is the sandbox user's, so is everything in it, and a warm
    directory of many thousand files is not walked on every run."""
    info = os.lstat(top)
    if created_inside and (info.st_uid, info.st_gid) == (uid, gid):
        return
    for current, dirs, files in os.walk(top):
        for name in (".", *dirs, *files):
            path = os.path.join(current, name)
            info = os.lstat(path)
            if (info.st_uid, info.st_gid) != (uid, gid):
                os.lchown(path, uid, gid)
