"""How every CTS service is put together, in its ``build_app``:

    service = Service.create(settings, client_id=...)   # logging, metrics, traces, broker
    subscribe(service.broker, settings, topic_name=..., model=..., handler=..., group=...)
    # ... or register_executor(service.broker, settings, executor=..., runner=...)
    return service.app(lifespan, readiness=[...])        # probes and /metrics included

``lifespan`` is an async context manager that opens the long-lived clients (MongoDB, the
model's HTTP client, background loops) and closes them: entered before the broker consumes,
left after it stopped, so no handler runs without them. Nothing is opened at import or in
``build_app`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import FastStream
from faststream.kafka import KafkaBroker

from cts_runtime.broker import make_broker
from cts_runtime.logs import configure_logging
from cts_runtime.observability.asgi import ObservedAsgi
from cts_runtime.observability.health import ReadinessCheck
from cts_runtime.observability.serving import HttpSettings
from cts_runtime.observability.windows import WindowCollector
from cts_runtime.observability.wiring import Observability
from cts_runtime.settings import ServiceSettings
from cts_runtime.subscribe import drain

T = TypeVar("T")

Lifespan = Callable[[], AbstractAsyncContextManager[None]]


@dataclass
class Service:
    settings: ServiceSettings
    broker: KafkaBroker
    observability: Observability

    @classmethod
    def create(cls, settings: ServiceSettings, *, client_id: str) -> Service:
        configure_logging(settings.log_level, settings.log_format)
        observability = Observability.create(settings.service_name)
        broker = make_broker(settings, client_id=client_id, middlewares=observability.middlewares())
        observability.registry.register(WindowCollector(broker))
        return cls(settings, broker, observability)

    def app(
        self, lifespan: Lifespan | None = None, *, readiness: Sequence[ReadinessCheck]
    ) -> ObservedAsgi:
        """The service: its broker and lifespan, with ``/healthz``, ``/readyz`` (Kafka and
        every ``readiness`` check) and ``/metrics``. ``serve_app`` runs it; tests may
        ``start()`` and ``stop()`` it like any FastStream app."""
        clients = AsyncExitStack()

        async def open_clients() -> None:
            if lifespan is not None:
                await clients.enter_async_context(lifespan())

        async def close_clients() -> None:
            await clients.aclose()

        async def finish_handlers() -> None:
            await drain(self.broker)

        # Handlers run beside the consumer: they finish (or are cancelled and redelivered)
        # and their offsets are committed before the broker stops, the clients after it.
        app = FastStream(self.broker, on_startup=[open_clients], on_shutdown=[finish_handlers],
                         after_shutdown=[close_clients])  # fmt: skip
        return self.observability.asgi_app(
            app,
            self.broker,
            readiness=readiness,
            readiness_timeout_s=HttpSettings().readiness_timeout_s,
        )


class Late(Generic[T]):
    """What a handler needs that only exists once the lifespan opened it."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._value: T | None = None

    def set(self, value: T | None) -> None:
        self._value = value

    def get(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self._what} is not open: the service has not started")
        return self._value


@contextlib.asynccontextmanager
async def background(**loops: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run ``loops`` (named tasks) while the block runs; cancel and await them when it ends."""
    tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
