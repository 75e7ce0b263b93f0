"""The forwarder that runs in front of a sandboxed command: it carries loopback connections to
the runner's Unix socket, hands the command every inherited descriptor (the report channel),
and exits with the command's status."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from cts_test_runner.sandbox.loopback_forwarder import __file__ as FORWARDER

CHILD = """
import os, socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn.sendall(b"ping")
conn.shutdown(socket.SHUT_WR)
answer = conn.recv(100)
os.write(int(sys.argv[2]), b"report:" + answer)
sys.exit(3)
"""


def _unix_upper(path: Path) -> None:
    """One connection: answer what it sent, upper-cased."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        data = b""
        while chunk := conn.recv(100):
            data += chunk
        conn.sendall(data.upper())
        conn.close()
        server.close()

    threading.Thread(target=serve, daemon=True).start()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_connections_reach_the_socket_and_the_status_and_channel_pass_through(
    tmp_path: Path,
) -> None:
    _unix_upper(tmp_path / "upstream.sock")
    port = _free_port()
    read_end, write_end = os.pipe()

    forward = f"{port}={tmp_path / 'upstream.sock'}"
    command = [sys.executable, "-c", CHILD, str(port), str(write_end)]
    done = subprocess.run(
        [sys.executable, FORWARDER, forward, "--", *command],
        pass_fds=(write_end,),
        capture_output=True,
        timeout=30,
        check=False,
    )
    os.close(write_end)
    report = os.read(read_end, 100)
    os.close(read_end)

    assert done.returncode == 3, done.stderr
    assert report == b"report:PING"


def test_a_command_that_cannot_start_is_127(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, FORWARDER, "--", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 127
    assert "missing" in done.stderr
