"""The services under test as OS processes (``cts_testing.processes``), measured through
``/proc`` (peak RSS, CPU time)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
