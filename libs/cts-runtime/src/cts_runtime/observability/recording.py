"""Record CTS metrics from the events a service publishes, so no handler has to.

Every step answer leaves an executor as a ``StepCompleted`` and every session end leaves the
orchestrator as a ``SessionFinished``: watching the publish path sees each exactly where it
becomes a fact, in whichever service sends it. A re-sent answer (a redelivered command, an
outbox re-publish) is counted once per process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cachetools import LRUCache
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.response import PublishCommand
from pydantic import BaseModel, ValidationError

from cts_contracts.session_finished import SessionFinished
from cts_contracts.step_completed import StepCompleted
from cts_contracts.topics import SESSION_FINISHED, STEP_COMPLETED
from cts_runtime.logs import get_logger
from cts_runtime.observability.metrics import CtsMetrics

log = get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


class _Seen:
    """A bounded set of recently counted ids (newest kept)."""

    def __init__(self, size: int) -> None:
        self._items: LRUCache[str, None] = LRUCache(maxsize=size)

    def first_time(self, key: str) -> bool:
        seen = key in self._items
        self._items[key] = None  # counted once more as recent either way
        return not seen


def _as_model(model: type[M], body: Any) -> M | None:
    if isinstance(body, model):
        return body
    if isinstance(body, bytes | bytearray | str):
        try:
            return model.model_validate_json(body)
        except ValidationError:
            return None
    return None


class EventMetricsMiddleware:
    """A broker middleware factory, for ``make_broker(..., middlewares=[...])``."""

    def __init__(self, metrics: CtsMetrics, *, remember: int = 10_000) -> None:
        self.metrics = metrics
        self._steps = _Seen(remember)
        self._sessions = _Seen(remember)

    def __call__(self, msg: Any | None, /, *, context: ContextRepo) -> _Recorder:
        return _Recorder(msg, context=context, owner=self)

    def observe(self, destination: str, body: Any) -> None:
        """Count one published event; anything that is not a CTS event is ignored."""
        if destination.endswith(STEP_COMPLETED):
            event = _as_model(StepCompleted, body)
            if event is not None and self._steps.first_time(event.data.interaction_id):
                self.metrics.record_completion(event.data)
        elif destination.endswith(SESSION_FINISHED):
            finished = _as_model(SessionFinished, body)
            if finished is not None and self._sessions.first_time(finished.data.session_id):
                data = finished.data
                self.metrics.record_session_finished(
                    data.status,
                    duration_s=(data.finished_at - data.started_at).total_seconds(),
                    fix_attempts=data.outcome.fix_attempts,
                )


class _Recorder(BaseMiddleware):
    def __init__(self, msg: Any | None, /, *, context: ContextRepo, owner: EventMetricsMiddleware):
        super().__init__(msg, context=context)
        self._owner = owner

    async def publish_scope(
        self, call_next: Callable[[PublishCommand], Awaitable[Any]], cmd: PublishCommand
    ) -> Any:
        result = await call_next(cmd)
        # Counted only once the broker acknowledged it; a metrics bug must never fail a publish.
        try:
            self._owner.observe(cmd.destination, cmd.body)
        except Exception:
            log.exception("could not record metrics for a published event")
        return result
