"""The ``Sandbox`` port: how an untrusted command (compile, dependency build, tests) is wrapped
so that it sees one run's files and nothing of the service.

A run has three directories on the host (``RunDirs``): a private copy of the session's working
tree, the project's build directory and a directory for report files, and, for a project with
dependencies, their directory (and Hex's home while they are fetched). A sandbox decides where
the command sees them (``view``) and turns an argv into what is actually started (``launch``).

A sandboxed command has no network. What it may reach, it reaches through **forwards**: a
port on the sandbox's own loopback that leads to a Unix socket of the runner (the run's
database relay, the dependency fetch's proxy), so the runner decides what is on the other end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

FORWARDER = Path(__file__).with_name("loopback_forwarder.py")
"""The script started in front of a command that has forwards (no imports but the stdlib's)."""


@dataclass(frozen=True)
class RunDirs:
    tree: Path
    """The command's working directory: a copy of the working tree without ``.git``."""
    build: Path
    """The project's build directory (``MIX_BUILD_ROOT``), shared by its sessions."""
    reports: Path
    """Where a runner's report files go (pytest's JUnit XML)."""
    deps: Path | None = None
    """``MIX_DEPS_PATH``: the project's fetched dependencies (read-only unless fetching)."""
    hex: Path | None = None
    """``HEX_HOME`` while dependencies are fetched."""


@dataclass(frozen=True)
class Forward:
    """``127.0.0.1:<port>`` inside the sandbox, leading to the runner's Unix socket."""

    name: str
    port: int
    socket: Path


@dataclass(frozen=True)
class Launch:
    """What the process runner starts: ``argv`` in ``cwd`` with ``env``."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path


class Sandbox(Protocol):
    name: str

    def view(self, dirs: RunDirs) -> RunDirs:
        """The run's directories as the sandboxed command sees them."""
        ...

    def tool(self, host_path: Path) -> str:
        """Where a read-only file of the runner (the ExUnit formatter) appears inside."""
        ...

    def loopback_port(self, preferred: int) -> int:
        """The port a forward listens on: ``preferred`` in a network namespace of its own."""
        ...

    def prepare(self, dirs: RunDirs) -> None:
        """Make the directories usable by the sandbox's user (blocking; before the run)."""
        ...

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
        """``argv`` (in the view's terms) wrapped to run inside; ``env`` is all it gets."""
        ...

    def self_test(self) -> None:
        """Fail (``SandboxUnavailable``) when a sandbox cannot be started here."""
        ...

    def close(self) -> None:
        """Remove what the sandbox keeps on disk for its runs."""
        ...
