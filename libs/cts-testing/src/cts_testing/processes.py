"""Services as real OS processes (e2e and fault tests): started with an environment, logged to
a file, stopped by pid — never by name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class ServiceProcess:
    def __init__(
        self, module: str, env: dict[str, str], log_path: Path, args: Sequence[str] = ()
    ) -> None:
        self.module = module
        self.args = list(args)
        self.env = env
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> ServiceProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
        """SIGKILL, as a crash would: no shutdown hooks run."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.wait(10)

    def stop(self, timeout: float = 20) -> None:
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
