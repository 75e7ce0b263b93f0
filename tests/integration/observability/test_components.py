"""The observability parts in-process, no servers: metrics from events, readiness reasons,
the HTTP routes, and when tracing turns on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from cts_contracts import ResultStatus, SessionFinished, Step, StepCompleted
from cts_contracts.session_finished import Outcome, SessionFinishedData
from cts_contracts.step_completed import AgentData, Usage
from cts_contracts.topics import SESSION_FINISHED, STEP_COMPLETED
from cts_runtime.executor import StepOutcome, completion
from cts_runtime.observability import (
    CtsMetrics,
    EventMetricsMiddleware,
    HttpSettings,
    Observability,
    asgi_app,
    tracer_provider,
)
from cts_runtime.observability.health import readiness, reason
from cts_runtime.service import Service
from cts_runtime.settings import ServiceSettings
from cts_testing.factories import step_request

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def answer(
    step: Step, status: ResultStatus = ResultStatus.OK, seconds: float = 42
) -> StepCompleted:
    command = step_request(step)
    data = None
    if step in (Step.GENERATE_TESTS_AND_FIXTURES, Step.FIX_COMPILATION_ERRORS):
        data = AgentData(step=step.value, model="claude-x",
                         usage=Usage(input_tokens=10, output_tokens=5, cost_usd=0.5))  # fmt: skip
    outcome = StepOutcome(status, "done", None if status is ResultStatus.OK else "bad", data)
    event = completion(command, outcome, executor="x-1", started_at=T0)
    finished = event.data.model_copy(update={"completed_at": T0 + timedelta(seconds=seconds)})
    return event.model_copy(update={"data": finished})


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def recorder() -> tuple[CollectorRegistry, EventMetricsMiddleware]:
    registry = CollectorRegistry()
    return registry, EventMetricsMiddleware(CtsMetrics(registry))


def test_step_answers_become_duration_outcome_fix_and_token_metrics() -> None:
    registry, middleware = recorder()
    fix = answer(Step.FIX_COMPILATION_ERRORS, ResultStatus.ERROR, seconds=90)
    middleware.observe(f"t1.{STEP_COMPLETED}", answer(Step.RUN_TESTS, seconds=12))
    middleware.observe(f"t1.{STEP_COMPLETED}", fix.model_dump_json().encode())  # bytes, as sent

    assert sample(registry, "cts_step_outcomes_total", step="run_tests", status="ok") == 1
    assert sample(registry, "cts_step_duration_seconds_sum", step="run_tests", status="ok") == 12
    assert sample(registry, "cts_step_duration_seconds_bucket",
                  step="run_tests", status="ok", le="10.0") == 0  # fmt: skip
    assert sample(registry, "cts_step_duration_seconds_bucket",
                  step="run_tests", status="ok", le="30.0") == 1  # fmt: skip
    assert sample(registry, "cts_fix_attempts_total", status="error") == 1
    assert sample(registry, "cts_llm_tokens_total", model="claude-x", kind="input") == 10
    assert sample(registry, "cts_llm_tokens_total", model="claude-x", kind="output") == 5
    assert sample(registry, "cts_llm_cost_usd_total", model="claude-x") == 0.5


def test_a_resent_answer_is_counted_once_and_other_traffic_is_ignored() -> None:
    registry, middleware = recorder()
    event = answer(Step.INITIALIZE)
    for _ in range(3):
        middleware.observe(STEP_COMPLETED, event)
    middleware.observe("cts.git.step-requested.v1", answer(Step.FINALIZE))
    middleware.observe(STEP_COMPLETED, b"{not json")
    middleware.observe(STEP_COMPLETED, {"a": "dict"})
    assert sample(registry, "cts_step_outcomes_total", step="initialize", status="ok") == 1
    assert sample(registry, "cts_step_outcomes_total", step="finalize", status="ok") is None


def test_finished_sessions_are_counted_by_status_with_their_duration_and_fix_attempts() -> None:
    registry, middleware = recorder()
    data = SessionFinishedData(
        account_id="acme", project_id="shop", session_id="s-1", request_id="r-1",
        status="failed", reason="fix attempts exhausted", outcome=Outcome(fix_attempts=3),
        started_at=T0, finished_at=T0 + timedelta(minutes=20),
    )  # fmt: skip
    event = SessionFinished(source="cts/orchestrator", subject="s-1", data=data)
    for _ in range(2):  # the outbox may publish it twice
        middleware.observe(f"p.{SESSION_FINISHED}", event.model_dump_json().encode())
    assert sample(registry, "cts_sessions_finished_total", status="failed") == 1
    assert sample(registry, "cts_session_duration_seconds_sum", status="failed") == 1200
    assert sample(registry, "cts_session_fix_attempts_bucket", status="failed", le="2.0") == 0
    assert sample(registry, "cts_session_fix_attempts_bucket", status="failed", le="3.0") == 1


def test_reasons_are_short_and_never_carry_url_credentials() -> None:
    error = ConnectionError("mongodb+srv://admin:hunter2@db.example:27017/?tls=true refused")
    assert reason(error) == "ConnectionError: mongodb+srv://***@db.example:27017/?tls=true refused"
    assert reason(TimeoutError()) == "timed out"
    assert reason(RuntimeError()) == "RuntimeError"
    assert len(reason(ValueError("x" * 5000))) == 300


async def test_readiness_runs_every_check_with_a_deadline() -> None:
    async def mongodb() -> None:
        return None

    async def cache() -> None:
        raise RuntimeError("boom")

    async def slow() -> None:
        await asyncio.sleep(10)

    broker = KafkaBroker("127.0.0.1:1")  # never started
    started = asyncio.get_running_loop().time()
    results = await readiness(broker, [mongodb, cache, slow], timeout_s=0.3)
    assert asyncio.get_running_loop().time() - started < 2
    assert results == {
        "kafka": "broker not started",
        "mongodb": "ok",
        "cache": "RuntimeError: boom",
        "slow": "timed out",
    }


async def test_routes_answer_without_a_running_broker() -> None:
    registry = CollectorRegistry()
    CtsMetrics(registry)
    broker = KafkaBroker("127.0.0.1:1")
    observed = asgi_app(FastStream(broker), registry=registry)
    transport = httpx.ASGITransport(app=observed)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
        head = await client.head("/healthz")
        post = await client.post("/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    assert (ready.status_code, ready.json()) == (
        503, {"status": "unready", "checks": {"kafka": "broker not started"}}
    )  # fmt: skip
    assert metrics.status_code == 200
    assert "# TYPE cts_step_duration_seconds histogram" in metrics.text
    assert head.status_code == 200
    assert post.status_code == 405
    observed.failed = True  # what a crash after startup leaves behind
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        assert (await client.get("/healthz")).status_code == 500
        assert (await client.get("/readyz")).json()["checks"] == {"app": "failed"}


def test_tracing_is_on_only_with_an_otlp_endpoint() -> None:
    assert tracer_provider("orchestrator", {}) is None
    assert tracer_provider("orchestrator", {"OTEL_EXPORTER_OTLP_ENDPOINT": " "}) is None
    disabled = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}
    assert tracer_provider("orchestrator", disabled) is None

    provider = tracer_provider("orchestrator", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    named = tracer_provider(
        "orchestrator",
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces",
         "OTEL_SERVICE_NAME": "cts-orch-eu"},
    )  # fmt: skip
    try:
        assert provider is not None
        assert named is not None
        assert provider.resource.attributes["service.name"] == "cts-orchestrator"
        assert named.resource.attributes["service.name"] == "cts-orch-eu"
    finally:
        for p in (provider, named):
            if p is not None:
                p.shutdown()


def test_middlewares_trace_outermost_then_metrics() -> None:
    plain = Observability.create("git-committer", environ={})
    assert [type(m) for m in plain.middlewares()] == [
        KafkaPrometheusMiddleware,
        EventMetricsMiddleware,
    ]
    traced = Observability.create(
        "git-committer", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    )
    try:
        assert [type(m) for m in traced.middlewares()] == [
            KafkaTelemetryMiddleware, KafkaPrometheusMiddleware, EventMetricsMiddleware,
        ]  # fmt: skip
    finally:
        assert traced.tracer_provider is not None
        traced.tracer_provider.shutdown()


def test_a_services_broker_has_the_middlewares_from_the_start() -> None:
    settings = ServiceSettings(kafka_bootstrap_servers="127.0.0.1:1", service_name="orchestrator")
    service = Service.create(settings, client_id="t")
    assert list(service.broker.middlewares) == list(service.observability.middlewares())
    assert [type(m) for m in service.broker.middlewares][-2:] == [
        KafkaPrometheusMiddleware, EventMetricsMiddleware,
    ]  # fmt: skip
    app = service.app(readiness=())
    assert app.broker is service.broker


def test_http_defaults_are_safe_for_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CTS_HTTP_HOST", raising=False)
    monkeypatch.delenv("CTS_HTTP_PORT", raising=False)
    http = HttpSettings()
    assert (http.http_host, http.http_port) == ("127.0.0.1", 0)
