"""Serve a ``ScriptedLLM`` over real HTTP: in a background thread for tests, or in the
foreground for the demo (``python -m cts_testing.scripted_llm``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from cts_testing.scripted_llm.app import ScriptedLLM
from cts_testing.scripted_llm.script import Script


@dataclass(frozen=True)
class RunningServer:
    llm: ScriptedLLM
    base_url: str


def _bound_socket(host: str, port: int) -> socket.socket:
    # Binding here (port 0 = any free port) means the port is known before uvicorn starts
    # and no other test can take it in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _config(llm: ScriptedLLM) -> uvicorn.Config:
    return uvicorn.Config(llm.app, lifespan="off", log_level="warning", access_log=False)


@contextmanager
def serve_in_thread(
    script: Script, *, host: str = "127.0.0.1", port: int = 0, startup_timeout_s: float = 10
) -> Iterator[RunningServer]:
    """Run the server until the block ends; yields its state and ``base_url`` for the SDK."""
    llm = ScriptedLLM(script)
    sock = _bound_socket(host, port)
    server = uvicorn.Server(_config(llm))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="scripted-llm", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the scripted Messages-API server did not start")
        time.sleep(0.01)
    bound_port = sock.getsockname()[1]
    try:
        yield RunningServer(llm, f"http://{host}:{bound_port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(script: Script, *, host: str, port: int) -> None:
    llm = ScriptedLLM(script)
    config = _config(llm)
    config.host, config.port = host, port
    uvicorn.Server(config).run()
