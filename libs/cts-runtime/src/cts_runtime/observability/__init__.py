"""Health, readiness, Prometheus metrics and OpenTelemetry tracing for CTS services.

A service gets all of it from ``cts_runtime.service.Service`` in its ``build_app``; its
``__main__`` is ``sys.exit(serve_app(build_app()))``. The parts, for tests and custom wiring:
``Observability.create(name)`` (registry, CTS metrics, tracer provider when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set), its ``.middlewares()`` for
``make_broker(..., middlewares=...)``, ``.asgi_app(app, broker, readiness=[MongoPing(uri)])``
and ``serve(asgi, HttpSettings())``.
"""

from cts_runtime.observability.asgi import ObservedAsgi, asgi_app
from cts_runtime.observability.health import MongoPing, ReadinessCheck
from cts_runtime.observability.metrics import CtsMetrics, new_registry
from cts_runtime.observability.recording import EventMetricsMiddleware
from cts_runtime.observability.serving import HttpSettings, serve, serve_app
from cts_runtime.observability.tracing import tracer_provider, tracing_enabled
from cts_runtime.observability.wiring import Observability

__all__ = [
    "CtsMetrics",
    "EventMetricsMiddleware",
    "HttpSettings",
    "MongoPing",
    "Observability",
    "ObservedAsgi",
    "ReadinessCheck",
    "asgi_app",
    "new_registry",
    "serve",
    "serve_app",
    "tracer_provider",
    "tracing_enabled",
]
