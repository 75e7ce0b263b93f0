"""The CTS metrics operators alert on, beside FastStream's own Kafka metrics.

One ``CtsMetrics`` per registry: prometheus_client refuses to register a name twice, and a
registry per process (not the library's global one) keeps tests and services independent.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from cts_contracts import Step
from cts_contracts.step_completed import AgentData, StepCompletedData, Usage

STEP_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600)
"""Steps run from under a second (a cached git step) to the 30-minute default deadline."""

SESSION_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

FIX_ATTEMPT_BUCKETS = (0, 1, 2, 3, 4, 5, 7, 10)

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")


def new_registry() -> CollectorRegistry:
    """A registry with the process, platform and GC collectors, as the global one has."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class CtsMetrics:
    """Step durations and outcomes, fix attempts, LLM tokens and cost, finished sessions."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        counter, histogram = self._counter, self._histogram
        self.step_duration = histogram(
            "cts_step_duration_seconds",
            "Wall time of one step, from the executor's start to its answer",
            ["step", "status"],
            STEP_BUCKETS,
        )
        self.step_outcomes = counter(
            "cts_step_outcomes",
            "Step answers by step and status (ok, error, transient)",
            ["step", "status"],
        )
        self.fix_attempts = counter(
            "cts_fix_attempts", "FixCompilationErrors steps run, by status", ["status"]
        )
        self.llm_tokens = counter(
            "cts_llm_tokens",
            "Tokens the model consumed and produced, by model and kind",
            ["model", "kind"],
        )
        self.llm_cost = counter(
            "cts_llm_cost_usd", "Estimated model cost in US dollars, by model", ["model"]
        )
        self.sessions_finished = counter(
            "cts_sessions_finished", "Sessions that ended, by final status", ["status"]
        )
        self.session_duration = histogram(
            "cts_session_duration_seconds",
            "Wall time of a whole session, from request to its end",
            ["status"],
            SESSION_BUCKETS,
        )
        self.session_fix_attempts = histogram(
            "cts_session_fix_attempts",
            "Fix attempts a finished session needed",
            ["status"],
            FIX_ATTEMPT_BUCKETS,
        )

    def _counter(self, name: str, documentation: str, labels: list[str]) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, labels: list[str], buckets: tuple[float, ...]
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def record_step(self, step: str, status: str, duration_s: float) -> None:
        self.step_duration.labels(step=step, status=status).observe(max(duration_s, 0.0))
        self.step_outcomes.labels(step=step, status=status).inc()

    def record_fix_attempt(self, status: str) -> None:
        self.fix_attempts.labels(status=status).inc()

    def record_llm_usage(self, usage: Usage, model: str | None) -> None:
        name = model or "unknown"
        counts = (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
        )
        for kind, count in zip(TOKEN_KINDS, counts, strict=True):
            if count:
                self.llm_tokens.labels(model=name, kind=kind).inc(count)
        if usage.cost_usd:
            self.llm_cost.labels(model=name).inc(usage.cost_usd)

    def record_session_finished(self, status: str, *, duration_s: float, fix_attempts: int) -> None:
        self.sessions_finished.labels(status=status).inc()
        self.session_duration.labels(status=status).observe(max(duration_s, 0.0))
        self.session_fix_attempts.labels(status=status).observe(fix_attempts)

    def record_completion(self, data: StepCompletedData) -> None:
        """Everything one executor answer says: duration, outcome, fix attempt, usage."""
        step, status = data.step.value, data.status.value
        self.record_step(step, status, (data.completed_at - data.started_at).total_seconds())
        if data.step is Step.FIX_COMPILATION_ERRORS:
            self.record_fix_attempt(status)
        if isinstance(data.data, AgentData):
            self.record_llm_usage(data.data.usage, data.data.model)
