"""``CTS_SANDBOX=none``: commands run as the service's own user, with its network and its view
of the machine. For a development machine without bubblewrap only; never the default, and
it says so every time it starts a command."""

from __future__ import annotations

import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.sandbox.port import FORWARDER, Forward, Launch, RunDirs

log = get_logger(__name__)

WARNING = "CTS_SANDBOX=none: untrusted tests run unconfined (development only)"


class Unconfined:
    name = "none"

    def __init__(self) -> None:
        log.warning(WARNING)

    def view(self, dirs: RunDirs) -> RunDirs:
        return dirs

    def tool(self, host_path: Path) -> str:
        return str(host_path)

    def loopback_port(self, preferred: int) -> int:
        """The host's loopback is shared: a port the kernel says is free now."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port

    def prepare(self, dirs: RunDirs) -> None:
        return None

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
        log.warning(WARNING, argv=list(argv[:3]))
        if forwards:
            pairs = [f"{forward.port}={forward.socket}" for forward in forwards]
            argv = [sys.executable, str(FORWARDER), *pairs, "--", *argv]
        return Launch(tuple(argv), dict(env), dirs.tree)

    def self_test(self) -> None:
        return None

    def close(self) -> None:
        return None
