"""The default sandbox: bubblewrap (``bwrap``), namespaces without a daemon or privileges.

Each command gets its own PID, mount, network, IPC, UTS and user namespaces, no capabilities,
no way to create further user namespaces, and a root holding only (``sandbox_root``):

- the system read-only (``/usr`` and the links to it, a few files of ``/etc``);
- the run's copy of the working tree at ``/ws`` (without ``.git``), the project's build
  directory at ``/build`` and a report directory at ``/reports``, read-write;
- for a project with dependencies, their directory at ``/deps`` (read-only, except while
  they are fetched and compiled) and, while fetching, Hex's home at ``/hex``;
- the runner's own files (the ExUnit formatter) read-only under ``/opt/cts``;
- each forward's Unix socket at ``/run/cts/<name>.sock``, and the loopback forwarder started
  in front of the command (``loopback_forwarder.py``);
- a fresh ``/proc`` of its own PID namespace, a minimal ``/dev``, and a ``tmpfs`` at ``/tmp``
  (``HOME`` is ``/tmp/home``).

No other session, no mirror or git directory, no file of the service, and no ``/proc`` of the
service is in it; it has only its own loopback, never the host's network. ``--die-with-parent`` and
the PID namespace mean that when the command's leader ends, or the runner kills the sandbox,
every process in it ends too, double-forked or ``setsid`` ones included.

Two ways to start it, by who the service is:

- **as root** (the local stack, CI, a pod allowed ``SYS_ADMIN``): bubblewrap sets the sandbox
  up with privileges (so it can bind any path), and the command then drops to the real user
  ``CTS_SANDBOX_UID``/``GID`` (65534, "nobody", by default) with ``setpriv``: no capability,
  an empty bounding set, ``no_new_privs``. Outside the sandbox it is that user too.
- **as any other user** (a non-root pod): bubblewrap builds a user namespace of its own
  (``--disable-userns`` forbids nesting another) in which the command is
  ``CTS_SANDBOX_UID``; outside it is the service's user, without capabilities, seeing only
  the namespaces' contents.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.sandbox import sandbox_root as root
from cts_test_runner.sandbox.ownership import give_to
from cts_test_runner.sandbox.port import FORWARDER, Forward, Launch, RunDirs

log = get_logger(__name__)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here: the service must not start."""


class Bubblewrap:
    name = "bubblewrap"

    def __init__(
        self,
        *,
        uid: int,
        gid: int,
        readonly: Iterable[Path] = (),
        mount_proc: bool = True,
        executable: str = "bwrap",
        privileged: bool | None = None,
    ) -> None:
        """``privileged``: whether to start it as root does (default: whether we are root)."""
        found = shutil.which(executable)
        if found is None:
            raise SandboxUnavailable(
                f"{executable!r} is not installed: install bubblewrap (Debian: apt-get install "
                "bubblewrap), or set CTS_SANDBOX=none on a development machine only"
            )
        self._bwrap = found
        self._privileged = os.geteuid() == 0 if privileged is None else privileged
        self._setpriv = shutil.which("setpriv") if self._privileged else None
        if self._privileged and self._setpriv is None:
            raise SandboxUnavailable("setpriv (util-linux) is needed to drop to the sandbox user")
        self._uid, self._gid = uid, gid
        self._readonly = tuple(p for p in readonly if p.exists())
        self._mount_proc = mount_proc
        self._support = Path(tempfile.mkdtemp(prefix="cts-sandbox-"))
        self._support.chmod(0o755)
        self._etc = root.write_identity(self._support, uid, gid)

    def close(self) -> None:
        shutil.rmtree(self._support, ignore_errors=True)

    def view(self, dirs: RunDirs) -> RunDirs:
        return root.inside_view(dirs)

    def tool(self, host_path: Path) -> str:
        return root.tool_inside(host_path)

    def loopback_port(self, preferred: int) -> int:
        return preferred  # its own network namespace: any port is free

    def prepare(self, dirs: RunDirs) -> None:
        if not self._privileged:
            return  # the command is the service's own user outside: its files are usable
        give_to(dirs.tree, self._uid, self._gid)
        for top in (dirs.build, dirs.reports, dirs.deps, dirs.hex):
            if top is not None:
                give_to(top, self._uid, self._gid, created_inside=True)

    def launch(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        dirs: RunDirs,
        tools: Sequence[Path] = (),
        forwards: Sequence[Forward] = (),
        writable_deps: bool = False,
    ) -> Launch:
        inner_env = {**env, "HOME": root.HOME, "TMPDIR": root.TMP, "PATH": root.PATH}
        args = [self._bwrap, *self._isolation()]
        args += root.system_binds(self._etc, mount_proc=self._mount_proc)
        args += root.run_binds(dirs, writable_deps=writable_deps)
        for tool in [*tools, FORWARDER] if forwards else tools:
            args += ["--ro-bind", str(root.stage(self._support, tool)), self.tool(tool)]
        args += root.forward_binds(forwards)
        for path in self._readonly:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--chdir", str(root.INSIDE.tree), "--clearenv"]
        for name, value in sorted(inner_env.items()):
            args += ["--setenv", name, value]
        outer = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
        command = [*self._forwarder(forwards), *argv]
        return Launch((*args, "--", *self._drop(), *command), outer, self._support)

    def _forwarder(self, forwards: Sequence[Forward]) -> list[str]:
        if not forwards:
            return []
        pairs = [f"{f.port}={root.socket_inside(f)}" for f in forwards]
        return ["python3", self.tool(FORWARDER), *pairs, "--"]

    def _isolation(self) -> list[str]:
        args = ["--die-with-parent", "--new-session", "--hostname", "cts-sandbox"]
        args += ["--cap-drop", "ALL"]
        if self._privileged:
            # No user namespace (its mapping would hold only root), so setpriv can become the
            # real sandbox user; it needs these three capabilities and then drops them too.
            args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            args += ["--cap-add", "CAP_SETPCAP"]
        else:
            args += ["--unshare-all", "--unshare-user", "--disable-userns"]
            args += ["--uid", str(self._uid), "--gid", str(self._gid)]
        return [*args, "--unshare-net"] if self._privileged else args

    def _drop(self) -> list[str]:
        """The command's prefix that makes it the sandbox user, as root starts it."""
        if not self._privileged:
            return []
        assert self._setpriv is not None
        return [
            "setpriv",
            f"--reuid={self._uid}",
            f"--regid={self._gid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--ambient-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]

    def self_test(self, timeout_s: float = 30) -> None:
        """Start one sandboxed ``true``: a host or cluster that cannot create the namespaces
        (no user namespaces, a seccomp profile refusing them) fails here, at startup."""
        probe = self._support / "probe"
        dirs = RunDirs(probe / "tree", probe / "build", probe / "reports")
        for directory in (dirs.tree, dirs.build, dirs.reports):
            directory.mkdir(parents=True, exist_ok=True)
        self.prepare(dirs)
        launch = self.launch(("true",), env={}, dirs=dirs)
        try:
            subprocess.run(
                launch.argv,
                env=dict(launch.env),
                cwd=launch.cwd,
                capture_output=True,
                timeout=timeout_s,
                check=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise SandboxUnavailable(
                "bubblewrap cannot create its sandbox here: "
                f"{detail.decode(errors='replace').strip() or exc} (see the README's Security "
                "model for what the sandbox needs)"
            ) from None
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        log.info(
            "sandbox ready",
            backend=self.name,
            uid=self._uid,
            privileged=self._privileged,
            proc=self._mount_proc,
        )
