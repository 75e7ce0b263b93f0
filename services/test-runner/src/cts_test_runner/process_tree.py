"""Find and kill everything a test run started, including what left its process group.

A process group is not enough for the BEAM: ``erl_child_setup`` and every port program it
starts (``System.cmd``) call ``setsid``, so a SIGKILL to the group leaves them running (seen
on OTP 25). Two nets catch them: the process tree under the leader (walked while the leader
is stopped, so it cannot spawn more), and a per-run marker in the environment, which every
descendant inherits unless it clears its environment on purpose — that covers processes
already orphaned by a double fork. Linux ``/proc`` only; elsewhere only the group is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
MARKER_NAME = "CTS_RUN_ID"
ROUNDS = 5
"""Kill rounds: a process may fork between a scan and the kill; each round catches those."""


def _stat(pid: int) -> tuple[int, str] | None:
    """(ppid, state) from /proc/<pid>/stat; ``comm`` may hold spaces, so split after ')'."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    return (int(fields[1]), fields[0].decode()) if len(fields) > 1 else None


def _pids() -> list[int]:
    try:
        return [int(entry.name) for entry in os.scandir(PROC) if entry.name.isdigit()]
    except OSError:
        return []


def live_processes() -> dict[int, int]:
    """pid -> ppid of every process that is not a zombie (a zombie runs nothing)."""
    table = {}
    for pid in _pids():
        info = _stat(pid)
        if info is not None and info[1] != "Z":
            table[pid] = info[0]
    return table


def descendants(root: int, table: dict[int, int]) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for pid, ppid in table.items():
        children[ppid].append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children[stack.pop()]:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def marked(marker: str, table: dict[int, int]) -> set[int]:
    """Processes whose environment carries ``CTS_RUN_ID=<marker>``."""
    needle = f"{MARKER_NAME}={marker}".encode()
    found = set()
    for pid in table:
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.add(pid)
    return found


def _signal(pid: int, signum: int, *, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        (os.killpg if group else os.kill)(pid, signum)


def kill_run(leader: int, marker: str, *, leader_alive: bool) -> int:
    """SIGKILL the leader's group, its descendants and every marked process; returns how many
    processes other than the leader's group were found. ``leader_alive`` is False once the
    leader has been reaped: its pid may then belong to someone else."""
    if leader_alive:
        _signal(leader, signal.SIGSTOP, group=True)
    me = os.getpid()
    killed: set[int] = set()
    for _ in range(ROUNDS):
        table = live_processes()
        targets = marked(marker, table)
        if leader_alive:
            targets |= descendants(leader, table)
        targets -= {me} | killed
        if leader_alive:
            targets.discard(leader)  # stopped; its whole group is killed below
        if not targets:
            break
        for pid in targets:
            _signal(pid, signal.SIGKILL)
        killed |= targets
    if leader_alive:
        _signal(leader, signal.SIGKILL, group=True)
    return len(killed)
