"""Loopback ports for servers a test or the demo starts."""

from __future__ import annotations

import contextlib
import socket
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, within: float = 20, poll_s: float = 0.05) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(poll_s)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {within:.0f}s")
