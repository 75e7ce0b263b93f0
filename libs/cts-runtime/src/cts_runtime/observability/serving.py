"""Run a CTS service observed: middlewares on its broker, probes and metrics over HTTP.

``python -m cts_<svc>`` becomes ``sys.exit(run_service(build_app(settings), settings))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence

import uvicorn
from faststream import FastStream
from faststream.kafka import KafkaBroker
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cts_runtime.logs import get_logger
from cts_runtime.observability.asgi import ObservedAsgi
from cts_runtime.observability.health import MongoPing, ReadinessCheck
from cts_runtime.observability.wiring import Observability
from cts_runtime.settings import ServiceSettings

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


def run_service(
    app: FastStream,
    settings: ServiceSettings,
    *,
    readiness: Sequence[ReadinessCheck] | None = None,
    http: HttpSettings | None = None,
) -> int:
    """Instrument ``app``'s broker and serve it with probes; returns the exit code.

    ``readiness`` defaults to a MongoDB ping on ``CTS_MONGODB_URI``; a service that does not
    use MongoDB passes ``readiness=()`` so a MongoDB outage does not stop its work.
    """
    http = http or HttpSettings()
    observability = Observability.create(settings.service_name)
    broker = app.broker
    if not isinstance(broker, KafkaBroker):
        raise TypeError("run_service needs an app built around a KafkaBroker")
    observability.instrument(broker)
    checks = (
        [MongoPing(settings.mongodb_uri.get_secret_value())] if readiness is None else readiness
    )
    observed = observability.asgi_app(
        app, broker, readiness=checks, readiness_timeout_s=http.readiness_timeout_s
    )
    return asyncio.run(serve(observed, http))
