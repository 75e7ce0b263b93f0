"""Each run works on a private copy of the session's working tree, made outside the shared
volume and thrown away afterwards.

So nothing a run does reaches the working tree the agent reads and Finalize commits, and the
``.git`` file (which names the git-committer's git directory) is not part of what runs.
Modification times are kept: Mix decides what to recompile from them, and the project's build
directory is shared across sessions.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

SKIPPED = frozenset({".git", "_build", ".elixir_ls"})
"""Never copied, at any depth: git metadata, and build output (``MIX_BUILD_ROOT`` is elsewhere)."""


def copy_working_tree(source: Path, destination: Path) -> int:
    """Copy ``source`` to a new ``destination``: regular files, directories and links (as
    links, never followed); anything else (FIFOs, sockets, devices) is left out. Returns the
    number of files copied."""
    copied = 0
    destination.mkdir(mode=0o755)
    for current, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        here = Path(current)
        target = destination / here.relative_to(source)
        for name in dirs:
            _copy_entry(here / name, target / name)
        for name in files:
            if name not in SKIPPED:
                copied += _copy_entry(here / name, target / name)
    shutil.copystat(source, destination)
    return copied


def _copy_entry(path: Path, target: Path) -> int:
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(path), target)
    elif stat.S_ISDIR(mode):
        target.mkdir()
        shutil.copystat(path, target)
    elif stat.S_ISREG(mode):
        shutil.copy2(path, target, follow_symlinks=False)
        return 1
    return 0
