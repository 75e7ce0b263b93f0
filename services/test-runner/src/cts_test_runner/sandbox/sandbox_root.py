"""What a bubblewrap sandbox's root holds, as bubblewrap arguments.

The system read-only (``/usr`` and the links to it, a few files of ``/etc``), a passwd and
group naming only the sandbox user, the run's directories at fixed places, the runner's own
files under ``/opt/cts``, each forward's Unix socket under ``/run/cts``, a fresh ``/proc``, a
minimal ``/dev`` and a ``tmpfs`` at ``/tmp``. Nothing else of the host is in it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from cts_test_runner.sandbox.port import Forward, RunDirs

INSIDE = RunDirs(
    tree=Path("/ws"),
    build=Path("/build"),
    reports=Path("/reports"),
    deps=Path("/deps"),
    hex=Path("/hex"),
)
TOOLS_INSIDE = Path("/opt/cts")
SOCKETS_INSIDE = Path("/run/cts")
TMP = "/tmp"  # noqa: S108 - the sandbox's own tmpfs, not the host's /tmp
HOME = f"{TMP}/home"
SHARED_MODE = "1777"
"""``/tmp`` and ``HOME``: bubblewrap creates them as root when it runs privileged."""
PATH = "/usr/local/bin:/usr/bin:/bin"
TOP_LEVEL = ("bin", "lib", "lib32", "lib64", "libx32", "sbin")
"""Merged-/usr systems have these as links into ``/usr``; older ones as directories."""
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "nsswitch.conf",
    "hosts",
    "resolv.conf",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "mime.types",
)
"""The parts of ``/etc`` a toolchain reads; everything else of it stays out (no secrets)."""


def inside_view(dirs: RunDirs) -> RunDirs:
    """Where the run's directories are inside the sandbox (the optional ones only if given)."""
    return RunDirs(
        INSIDE.tree,
        INSIDE.build,
        INSIDE.reports,
        INSIDE.deps if dirs.deps is not None else None,
        INSIDE.hex if dirs.hex is not None else None,
    )


def tool_inside(host_path: Path) -> str:
    return str(TOOLS_INSIDE / host_path.name)


def socket_inside(forward: Forward) -> Path:
    return SOCKETS_INSIDE / f"{forward.name}.sock"


def write_identity(support: Path, uid: int, gid: int) -> Path:
    """A passwd and group naming only the sandbox user (the host's stay out); their directory."""
    etc = support / "etc"
    etc.mkdir(mode=0o755)
    (etc / "passwd").write_text(
        f"root:x:0:0:root:/:/usr/sbin/nologin\nsandbox:x:{uid}:{gid}:CTS sandbox:{HOME}:/bin/sh\n"
    )
    (etc / "group").write_text(f"root:x:0:\nsandbox:x:{gid}:\n")
    return etc


def system_binds(identity: Path, *, mount_proc: bool) -> list[str]:
    """The read-only system, the identity files, ``/proc``, ``/dev``, ``/tmp`` and ``HOME``."""
    args = ["--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", str(TOOLS_INSIDE)]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind", str(identity / "passwd"), "/etc/passwd"]
    args += ["--ro-bind", str(identity / "group"), "/etc/group"]
    if mount_proc:
        args += ["--proc", "/proc"]
    args += ["--dev", "/dev", "--perms", SHARED_MODE, "--tmpfs", TMP]
    return [*args, "--perms", SHARED_MODE, "--dir", HOME]


def run_binds(dirs: RunDirs, *, writable_deps: bool) -> list[str]:
    """The run's directories; the dependencies are read-only unless being fetched or built."""
    args = ["--bind", str(dirs.tree), str(INSIDE.tree)]
    args += ["--bind", str(dirs.build), str(INSIDE.build)]
    args += ["--bind", str(dirs.reports), str(INSIDE.reports)]
    if dirs.deps is not None:
        args += ["--bind" if writable_deps else "--ro-bind", str(dirs.deps), str(INSIDE.deps)]
    if dirs.hex is not None:
        args += ["--bind", str(dirs.hex), str(INSIDE.hex)]
    return args


def forward_binds(forwards: Sequence[Forward]) -> list[str]:
    if not forwards:
        return []
    # Made by bubblewrap, the directories would be root's alone.
    args = ["--perms", "0755", "--dir", str(SOCKETS_INSIDE.parent)]
    args += ["--perms", "0755", "--dir", str(SOCKETS_INSIDE)]
    for forward in forwards:
        args += ["--bind", str(forward.socket), str(socket_inside(forward))]
    return args


def stage(support: Path, tool: Path) -> Path:
    """A copy of the runner's file in the support directory: the sandbox user may not be able
    to traverse to where the package is installed, and must not see the rest."""
    staged = support / "tools" / tool.name
    if not staged.exists():
        staged.parent.mkdir(mode=0o755, exist_ok=True)
        shutil.copyfile(tool, staged)
        staged.chmod(0o644)
    return staged
