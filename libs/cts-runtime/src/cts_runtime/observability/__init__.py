"""Health, readiness, Prometheus metrics and OpenTelemetry tracing for CTS services.

The short way, in a service's ``__main__``::

    settings = OrchestratorSettings()
    sys.exit(run_service(build_app(settings), settings))

The parts, for tests and custom wiring: ``Observability.create(name)`` (registry, CTS metrics,
tracer provider when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set); its ``.middlewares()`` for
``make_broker(..., middlewares=...)``, or ``make_observed_broker``, or ``.instrument(broker)``;
``.asgi_app(app, broker, readiness=[MongoPing(uri)])`` and ``serve(asgi, HttpSettings())``.
"""

from cts_runtime.observability.asgi import ObservedAsgi, asgi_app
from cts_runtime.observability.health import MongoPing, ReadinessCheck
from cts_runtime.observability.metrics import CtsMetrics, new_registry
from cts_runtime.observability.recording import EventMetricsMiddleware
from cts_runtime.observability.serving import HttpSettings, run_service, serve
from cts_runtime.observability.tracing import tracer_provider, tracing_enabled
from cts_runtime.observability.wiring import Observability, make_observed_broker

__all__ = [
    "CtsMetrics",
    "EventMetricsMiddleware",
    "HttpSettings",
    "MongoPing",
    "Observability",
    "ObservedAsgi",
    "ReadinessCheck",
    "asgi_app",
    "make_observed_broker",
    "new_registry",
    "run_service",
    "serve",
    "tracer_provider",
    "tracing_enabled",
]
