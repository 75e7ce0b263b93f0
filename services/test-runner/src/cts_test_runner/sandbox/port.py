"""The ``Sandbox`` port: how an untrusted command (compile, dependency build, tests) is wrapped
so that it sees one run's files and nothing of the service.

A run has three directories on the host (``RunDirs``): a private copy of the session's working
tree, the project's build directory and a directory for report files. A sandbox decides where
the command sees them (``view``) and turns an argv into what is actually started (``launch``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class RunDirs:
    tree: Path
    """The command's working directory: a copy of the working tree without ``.git``."""
    build: Path
    """The project's build directory (``MIX_BUILD_ROOT``), shared by its sessions."""
    reports: Path
    """Where a runner's report files go (pytest's JUnit XML)."""


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

    def prepare(self, dirs: RunDirs) -> None:
        """Make the directories usable by the sandbox's user (blocking; before the run)."""
        ...

    def launch(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        dirs: RunDirs,
        network: bool = False,
        tools: Sequence[Path] = (),
    ) -> Launch:
        """``argv`` (in the view's terms) wrapped to run inside; ``env`` is all it gets."""
        ...

    def self_test(self) -> None:
        """Fail (``SandboxUnavailable``) when a sandbox cannot be started here."""
        ...

    def close(self) -> None:
        """Remove what the sandbox keeps on disk for its runs."""
        ...
