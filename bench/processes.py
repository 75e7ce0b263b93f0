"""The services under test as OS processes: started with an environment, stopped by pid (never
by name), and measured through ``/proc`` (peak RSS, CPU time)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

REPO_ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Service:
    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log_path: Path,
        *, pythonpath: tuple[Path, ...] = (),
    ) -> None:  # fmt: skip
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.pythonpath = pythonpath
        """Searched before the installed packages: how a variant runs other source trees."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    def module(cls, name: str, module: str, env: dict[str, str], log_path: Path) -> Service:
        return cls(name, [sys.executable, "-m", module], env, log_path)

    def start(self) -> Service:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        paths = [*map(str, self.pythonpath), str(REPO_ROOT), os.environ.get("PYTHONPATH")]
        pythonpath = os.pathsep.join(filter(None, paths))
        self._proc = subprocess.Popen(
            self.argv,
            env={**os.environ, "PYTHONPATH": pythonpath, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def peak_rss_mb(self) -> float:
        """``VmHWM``: the most resident memory the process ever had."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError(f"no VmHWM for pid {self.pid}")

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (``/proc/<pid>/stat`` fields 14 and 15)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the process group, SIGKILL if it does not leave within ``timeout``."""
        if self._proc is not None and self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self._proc.wait(10)
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


async def wait_for_groups(
    bootstrap: str,
    group_ids: list[str],
    *,
    members: int,
    services: list[Service],
    within: float = 90,
) -> None:
    """Until every group is Stable with ``members`` members: only then does a measurement see
    every replica consuming, not a rebalance."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + within
        while True:
            dead = [s for s in services if not s.alive()]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited:\n{dead[0].log_tail()}")
            states = {g: await _describe(admin, g) for g in group_ids}
            if all(states.get(g) == ("Stable", members) for g in group_ids):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer groups not ready: {states}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _describe(admin: AIOKafkaAdminClient, group_id: str) -> tuple[str, int]:
    """(state, members); a group not created yet reads as absent. aiokafka cannot decode
    Kafka 4's answer for an unknown group (the connection drops), so that is an absence too."""
    try:
        (response,) = await admin.describe_consumer_groups([group_id])
    except (KafkaError, ValueError):
        return ("Absent", 0)
    for _error, name, state, _type, _protocol, members, *_ in response.groups:
        if name == group_id:
            return (state, len(members))
    return ("Absent", 0)
