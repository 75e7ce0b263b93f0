"""Serve a CTS service over HTTP beside its consumers: probes and metrics, graceful stop.

``python -m cts_<svc>`` is ``sys.exit(serve_app(build_app()))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cts_runtime.logs import get_logger
from cts_runtime.observability.asgi import ObservedAsgi

log = get_logger(__name__)


class HttpSettings(BaseSettings):
    """Probes and metrics: every service (where ``/healthz``, ``/readyz``, ``/metrics`` listen)."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    http_host: str = Field(
        default="127.0.0.1", description="0.0.0.0 in containers; loopback for local runs"
    )
    http_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="0 picks a free port (logged), so local services never collide; "
        "the image and the chart set 8080",
    )
    readiness_timeout_s: float = Field(
        default=3.0, gt=0, le=60, description="How long /readyz waits for Kafka and MongoDB"
    )
    shutdown_grace_s: int = Field(
        default=20, ge=1, description="Longest wait for open HTTP requests at shutdown"
    )


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown, so a clean stop would exit 143;
    here a stop that completed exits 0 and only a failure is non-zero."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


async def serve(observed: ObservedAsgi, http: HttpSettings) -> int:
    """Serve until SIGTERM/SIGINT; 0 after a clean stop, 1 when the app failed."""
    config = uvicorn.Config(
        observed,
        host=http.http_host,
        port=http.http_port,
        lifespan="on",
        log_config=None,  # keep the service's structured logging
        access_log=False,  # probes every few seconds would drown the real log lines
        timeout_graceful_shutdown=http.shutdown_grace_s,
    )
    server = _Server(config)

    def stop() -> None:
        server.should_exit = True

    observed.on_crash(stop)
    await server.serve()
    if observed.failed or not server.started:
        log.error("service stopped after a failure")
        return 1
    log.info("service stopped")
    return 0


def serve_app(app: ObservedAsgi, http: HttpSettings | None = None) -> int:
    """Serve a service's app (``Service.app``) until SIGTERM/SIGINT; returns the exit code."""
    return asyncio.run(serve(app, http or HttpSettings()))
