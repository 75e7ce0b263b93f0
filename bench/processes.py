"""The services under test as OS processes: started with an environment, stopped by pid (never
by name), and measured through ``/proc`` (peak RSS, CPU time)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from cts_testing.processes import Process

REPO_ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Service(Process):
    """A measured process: its name in reports, its peak memory and CPU time from ``/proc``."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log_path: Path,
        *, pythonpath: tuple[Path, ...] = (),
    ) -> None:  # fmt: skip
        # Searched before the installed packages: how a variant runs other source trees.
        paths = [*map(str, pythonpath), str(REPO_ROOT), os.environ.get("PYTHONPATH")]
        search = {"PYTHONPATH": os.pathsep.join(filter(None, paths))}
        super().__init__(argv, {**search, **env}, log_path, cwd=REPO_ROOT)
        self.name = name

    @classmethod
    def module(cls, name: str, module: str, env: dict[str, str], log_path: Path) -> Service:
        return cls(name, [sys.executable, "-m", module], env, log_path)

    def start(self) -> Service:
        super().start()
        return self

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
        super().stop(timeout)


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
