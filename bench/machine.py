"""What else the machine was doing: numbers are only comparable with the load beside them."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import REPO_ROOT


@dataclass(frozen=True)
class Snapshot:
    loadavg_1m: float
    busy: int
    total: int

    @classmethod
    def take(cls) -> Snapshot:
        load = float(Path("/proc/loadavg").read_text().split()[0])
        cpu = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = cpu[3] + cpu[4]  # idle + iowait
        return cls(load, sum(cpu) - idle, sum(cpu))


def busy_percent(start: Snapshot, end: Snapshot) -> float:
    """Machine-wide CPU use between two snapshots, all processes (ours and everyone's)."""
    total = end.total - start.total
    return round(100 * (end.busy - start.busy) / total, 1) if total else 0.0


def describe() -> dict[str, Any]:
    versions = {
        name: importlib.metadata.version(name)
        for name in ("faststream", "aiokafka", "pymongo", "pydantic")
    }
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "commit": commit,
        "versions": versions,
    }
