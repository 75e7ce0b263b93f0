"""OpenTelemetry tracing through Kafka headers, exported over OTLP/HTTP when configured.

FastStream's telemetry middleware opens a span per consumed message from the W3C
``traceparent`` header and writes the header on every publish made inside it, so one session
(request, commands, answers) is one trace across the four services. Nothing is set up, and no
exporter thread runs, unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the traces-only variant) is set:
the SDK's standard variables (``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_TRACES_SAMPLER``...) apply as usual.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(env.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def tracer_provider(
    service_name: str, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """An SDK provider exporting to the configured OTLP endpoint, or None when not configured."""
    env = os.environ if environ is None else environ
    if not tracing_enabled(env):
        return None
    name = env.get("OTEL_SERVICE_NAME") or f"cts-{service_name}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    # The exporter reads the endpoint, headers and TLS files from the standard variables.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def telemetry_middleware(provider: TracerProvider) -> KafkaTelemetryMiddleware:
    return KafkaTelemetryMiddleware(tracer_provider=provider)


async def shutdown_tracing(provider: TracerProvider | None) -> None:
    """Flush the spans still queued; the exporter blocks on HTTP, so off the event loop."""
    if provider is not None:
        await asyncio.to_thread(provider.shutdown)
