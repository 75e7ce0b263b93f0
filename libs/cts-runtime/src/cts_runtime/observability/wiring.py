"""One process's observability: registry, CTS metrics, tracer provider and broker middlewares."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream import FastStream
from faststream._internal.types import BrokerMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from cts_runtime.observability.asgi import ObservedAsgi, asgi_app
from cts_runtime.observability.health import ReadinessCheck
from cts_runtime.observability.metrics import CtsMetrics, new_registry
from cts_runtime.observability.recording import EventMetricsMiddleware
from cts_runtime.observability.tracing import telemetry_middleware, tracer_provider


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
