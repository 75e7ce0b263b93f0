"""Run a CTS service observed: middlewares on its broker, probes and metrics over HTTP.

``python -m cts_<svc>`` becomes ``sys.exit(run_service(build_app(settings), settings))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from faststream import FastStream
from faststream._internal.types import BrokerMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cts_runtime.broker import make_broker
from cts_runtime.logs import get_logger
from cts_runtime.observability.asgi import ObservedAsgi, asgi_app
from cts_runtime.observability.health import MongoPing, ReadinessCheck
from cts_runtime.observability.metrics import CtsMetrics, new_registry
from cts_runtime.observability.recording import EventMetricsMiddleware
from cts_runtime.observability.tracing import telemetry_middleware, tracer_provider
from cts_runtime.settings import KafkaSettings, ServiceSettings

log = get_logger(__name__)


class HttpSettings(BaseSettings):
    """Where the probes and metrics listen (``CTS_HTTP_*``)."""

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
    readiness_timeout_s: float = Field(default=3.0, gt=0, le=60)
    shutdown_grace_s: int = Field(
        default=20, ge=1, description="Longest wait for open HTTP requests at shutdown"
    )


@dataclass
class Observability:
    """One service process's registry, CTS metrics and (optional) tracer provider."""

    service_name: str
    registry: CollectorRegistry
    metrics: CtsMetrics
    tracer_provider: TracerProvider | None
    _middlewares: tuple[BrokerMiddleware[Any, Any], ...] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, service_name: str, *, environ: Mapping[str, str] | None = None
    ) -> Observability:
        registry = new_registry()
        env = os.environ if environ is None else environ
        return cls(service_name, registry, CtsMetrics(registry), tracer_provider(service_name, env))

    def middlewares(self) -> tuple[BrokerMiddleware[Any, Any], ...]:
        """Outermost first: the trace span wraps the metrics and the handler. Built once, so
        every caller shares one de-duplicating event recorder."""
        if self._middlewares is None:
            chain: list[BrokerMiddleware[Any, Any]] = []
            if self.tracer_provider is not None:
                chain.append(telemetry_middleware(self.tracer_provider))
            chain.append(
                KafkaPrometheusMiddleware(registry=self.registry, app_name=self.service_name)
            )
            chain.append(EventMetricsMiddleware(self.metrics))
            self._middlewares = tuple(chain)
        return self._middlewares

    def instrument(self, broker: KafkaBroker) -> None:
        """Add the middlewares to a broker built elsewhere, around any it already has."""
        for middleware in reversed(self.middlewares()):
            broker.insert_middleware(middleware)

    def asgi_app(
        self,
        app: FastStream,
        broker: KafkaBroker | None = None,
        *,
        readiness: Sequence[ReadinessCheck] = (),
        readiness_timeout_s: float = 3.0,
    ) -> ObservedAsgi:
        return asgi_app(
            app,
            broker,
            registry=self.registry,
            readiness=readiness,
            readiness_timeout_s=readiness_timeout_s,
            tracer_provider=self.tracer_provider,
        )


def make_observed_broker(
    settings: KafkaSettings, observability: Observability, *, client_id: str, **kwargs: Any
) -> KafkaBroker:
    """``make_broker`` with the tracing and metrics middlewares in place from the start."""
    return make_broker(
        settings, client_id=client_id, middlewares=observability.middlewares(), **kwargs
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
