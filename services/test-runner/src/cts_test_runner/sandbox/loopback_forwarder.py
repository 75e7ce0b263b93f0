"""Runs *inside* the sandbox, before the command: ``python3 loopback_forwarder.py
<port>=<unix socket> ... -- <command ...>``.

The sandbox has no network, only its own loopback. For each pair this listens on
``127.0.0.1:<port>`` and carries every connection to the Unix socket (bound in by the runner,
which decides what is on its other end: the run's database, or the allow-listing proxy of a
dependency fetch). Then it starts the command, passes on SIGTERM/SIGINT, and exits with the
command's status, so the runner sees the command as if it had been started directly.

Standard library only, and nothing of CTS: it is the system ``python3`` that runs it.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
from types import FrameType

CHUNK = 65536


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _carry(client: socket.socket, path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_carry, args=(client, path), daemon=True).start()


def _listen(port: int) -> list[socket.socket]:
    """IPv4 always; IPv6 loopback too where the sandbox has it (``localhost`` may be ``::1``)."""
    listeners = []
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((address, port))
            listener.listen(64)
        except OSError:
            if family == socket.AF_INET:
                raise
            continue
        listeners.append(listener)
    return listeners


def main(args: list[str]) -> int:
    if "--" not in args:
        print("usage: loopback_forwarder.py PORT=SOCKET ... -- COMMAND ...", file=sys.stderr)
        return 2
    split = args.index("--")
    pairs, command = args[:split], args[split + 1 :]
    for pair in pairs:
        port, _, path = pair.partition("=")
        for listener in _listen(int(port)):
            threading.Thread(target=_serve, args=(listener, path), daemon=True).start()
    # Inherited descriptors (the report channel) pass through to the command.
    try:
        child = subprocess.Popen(command, close_fds=False)
    except OSError as exc:
        print(f"{command[0] if command else '?'}: {exc.strerror}", file=sys.stderr)
        return 127

    def relay(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, relay)
    signal.signal(signal.SIGINT, relay)
    status = child.wait()
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
