"""Services as real OS processes (e2e, fault tests, the demo, the benchmark): started with an
environment, logged to a file, in a process group of their own, stopped by pid — never by
name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class Process:
    """Any command line; ``env`` is added to this process's environment."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], log_path: Path, *, cwd: Path | None = None
    ) -> None:
        self.argv = list(argv)
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.cwd,
        )
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait(self, timeout: float) -> int:
        assert self._proc is not None
        return self._proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL to its process group, as a crash would: no shutdown hooks run."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.wait(10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to its process group; SIGKILL if it has not left within ``timeout``."""
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class ServiceProcess(Process):
    """``python -m <module> <args>`` with this interpreter."""

    def __init__(
        self, module: str, env: dict[str, str], log_path: Path, args: Sequence[str] = ()
    ) -> None:
        super().__init__([sys.executable, "-m", module, *args], env, log_path)
        self.module = module

    def start(self) -> ServiceProcess:
        super().start()
        return self
