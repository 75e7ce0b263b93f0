"""A service's HTTP face: ``/healthz``, ``/readyz`` and ``/metrics`` on FastStream's ASGI app.

``AsgiFastStream`` runs the broker in the ASGI lifespan, so uvicorn serves the probes from the
same process and event loop as the consumers: a blocked loop fails the liveness probe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from faststream import FastStream
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Message, Receive, Scope, Send
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, make_asgi_app

from cts_runtime.logs import get_logger
from cts_runtime.observability.health import ReadinessCheck, close_checks, readiness
from cts_runtime.observability.tracing import shutdown_tracing

log = get_logger(__name__)

_FAILURES = ("lifespan.startup.failed", "lifespan.shutdown.failed")


def _json(status: int, body: dict[str, Any]) -> AsgiResponse:
    return AsgiResponse(
        json.dumps(body).encode(), status, headers={"content-type": "application/json"}
    )


class ObservedAsgi(AsgiFastStream):
    """``AsgiFastStream`` that notices when its app died after startup.

    If the broker fails to start after uvicorn reported startup complete, uvicorn keeps serving
    HTTP with no consumer behind it. Here that marks the app ``failed`` (liveness turns 500) and
    calls the ``on_crash`` callbacks, which ``serve`` uses to stop the process.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed = False
        self._crash_callbacks: list[Callable[[], None]] = []

    def on_crash(self, callback: Callable[[], None]) -> None:
        self._crash_callbacks.append(callback)

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        stopping = False

        async def watched_receive() -> Message:
            nonlocal stopping
            message = await receive()
            stopping = stopping or message.get("type") == "lifespan.shutdown"
            return message

        async def watched_send(message: Message) -> None:
            if message.get("type") in _FAILURES and not stopping:
                self.failed = True
                log.error("the application failed; the process will stop")
                for callback in self._crash_callbacks:
                    callback()
            await send(message)

        await super().lifespan(scope, watched_receive, watched_send)


def _healthz(observed: ObservedAsgi) -> GetHandler:
    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:
        if observed.failed:
            return _json(500, {"status": "failed"})
        return _json(200, {"status": "alive"})

    return healthz


def _readyz(
    observed: ObservedAsgi,
    broker: KafkaBroker,
    checks: Sequence[ReadinessCheck],
    timeout_s: float,
) -> GetHandler:
    @get(include_in_schema=False)
    async def readyz(scope: Scope) -> AsgiResponse:
        if observed.failed:
            return _json(503, {"status": "unready", "checks": {"app": "failed"}})
        results = await readiness(broker, checks, timeout_s=timeout_s)
        ready = all(result == "ok" for result in results.values())
        return _json(
            200 if ready else 503, {"status": "ready" if ready else "unready", "checks": results}
        )

    return readyz


def asgi_app(
    app: FastStream,
    broker: KafkaBroker | None = None,
    *,
    registry: CollectorRegistry,
    readiness: Sequence[ReadinessCheck] = (),
    readiness_timeout_s: float = 3.0,
    tracer_provider: TracerProvider | None = None,
) -> ObservedAsgi:
    """``app`` (its broker, hooks and lifespan) served with the three operational routes.

    ``readiness`` checks run on every ``/readyz`` beside the Kafka ping; checks with an
    ``aclose()`` are closed, and ``tracer_provider`` flushed, after the app shuts down.
    """
    kafka = broker or app.broker
    if not isinstance(kafka, KafkaBroker):
        raise TypeError("asgi_app needs the app's KafkaBroker")
    checks = tuple(readiness)
    observed = ObservedAsgi.from_app(app, asgi_routes=[])
    observed.mount("/healthz", _healthz(observed))
    observed.mount("/readyz", _readyz(observed, kafka, checks, readiness_timeout_s))
    observed.mount("/metrics", make_asgi_app(registry))

    async def release() -> None:
        await close_checks(checks)
        await shutdown_tracing(tracer_provider)

    observed.after_shutdown(release)
    return observed
