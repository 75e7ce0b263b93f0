"""A service's /healthz, /readyz and /metrics against the real local stack, run as a process."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from cts_contracts import Step
from cts_contracts.topics import AGENT_STEP_REQUESTED, GIT_STEP_REQUESTED, STEP_COMPLETED, topic
from cts_testing.factories import step_requested
from cts_testing.kafka import Collector, publish
from cts_testing.network import free_port
from cts_testing.stack import Endpoints, PrivateStack

from .conftest import ProbeFactory

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def total(found: Samples, name: str) -> float:
    return sum(v for (n, _), v in found.items() if n == name)


async def test_probes_and_metrics_tell_the_truth(
    stack: Endpoints, topic_prefix: str, probes: ProbeFactory, probe_env: dict[str, str]
) -> None:
    probe = probes.start(**probe_env)
    ready = probe.wait_for("/readyz", 200, within=60)
    assert ready == {"status": "ready", "checks": {"kafka": "ok", "mongodb": "ok"}}
    assert probe.body("/healthz") == (200, {"status": "alive"})
    assert probe.get("/nowhere").status_code == 404

    initialize = step_requested(Step.INITIALIZE)
    generate = step_requested(Step.GENERATE_TESTS_AND_FIXTURES)
    bootstrap = stack.kafka_bootstrap_servers
    completed_topic = topic(STEP_COMPLETED, topic_prefix)
    async with Collector(bootstrap, completed_topic) as events:
        await publish(bootstrap, topic(GIT_STEP_REQUESTED, topic_prefix), initialize,
                      key=initialize.data.session_id)  # fmt: skip
        await publish(bootstrap, topic(AGENT_STEP_REQUESTED, topic_prefix), generate,
                      key=generate.data.session_id)  # fmt: skip
        await events.wait_for(lambda e: len(e) >= 2, within=60)
        # A redelivered command is answered again from the harness' cache: one step, one count.
        await publish(bootstrap, topic(GIT_STEP_REQUESTED, topic_prefix), initialize,
                      key=initialize.data.session_id)  # fmt: skip
        await events.wait_for(lambda e: len(e) >= 3, within=60)

    metrics = probe.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    found = samples(metrics.text)
    # FastStream's middleware: three commands consumed, three answers published.
    assert total(found, "faststream_received_messages_total") == 3
    assert total(found, "faststream_published_messages_total") == 3
    assert {dict(labels)["app_name"] for (name, labels) in found
            if name == "faststream_received_messages_total"} == {"probe"}  # fmt: skip
    # CTS metrics, recorded from the StepCompleted events the harness published.
    assert value(found, "cts_step_outcomes_total", step="initialize", status="ok") == 1
    assert value(found, "cts_step_duration_seconds_count", step="initialize", status="ok") == 1
    assert value(found, "cts_step_outcomes_total",
                 step="generate_tests_and_fixtures", status="ok") == 1  # fmt: skip
    assert value(found, "cts_llm_tokens_total", model="probe-model", kind="input") == 1200
    assert value(found, "cts_llm_tokens_total", model="probe-model", kind="output") == 340
    assert value(found, "cts_llm_tokens_total", model="probe-model", kind="cache_read") == 50
    assert value(found, "cts_llm_tokens_total", model="probe-model", kind="cache_write") is None
    assert value(found, "cts_llm_cost_usd_total", model="probe-model") == 0.0125
    assert total(found, "process_resident_memory_bytes") > 0

    probe.process.stop()
    assert probe.process.wait(1) == 0, probe.process.log_tail()


async def test_readiness_turns_503_while_kafka_is_away_and_back_when_it_returns(
    private_stack: PrivateStack, stack: Endpoints, probes: ProbeFactory, namespace: str
) -> None:
    probe = probes.start(
        CTS_KAFKA_BOOTSTRAP_SERVERS=private_stack.kafka_bootstrap_servers,
        CTS_MONGODB_URI=stack.mongodb_uri,
        CTS_TOPIC_PREFIX=f"{namespace}.",
        CTS_GROUP_PREFIX=namespace,
        CTS_READINESS_TIMEOUT_S="2",
    )
    probe.wait_for("/readyz", 200, within=60)

    private_stack.down()
    unready = probe.wait_for("/readyz", 503, within=60)
    assert unready == {
        "status": "unready",
        "checks": {"kafka": "no answer from Kafka within 2s", "mongodb": "ok"},
    }
    # Liveness does not follow Kafka: restarting the pod would not bring Kafka back.
    assert probe.body("/healthz") == (200, {"status": "alive"})

    private_stack.up()
    assert probe.wait_for("/readyz", 200, within=90)["status"] == "ready"


def _broker_started(body: dict[str, object]) -> bool:
    """Until its broker has started, a service is unready for that reason alone."""
    checks = body.get("checks")
    return isinstance(checks, dict) and checks.get("kafka") != "broker not started"


def test_readiness_names_mongodb_without_its_credentials(
    probes: ProbeFactory, probe_env: dict[str, str]
) -> None:
    nobody = free_port()
    probe = probes.start(
        **{**probe_env, "CTS_MONGODB_URI": f"mongodb://cts:s3cret-pw@127.0.0.1:{nobody}/"}
    )
    body = probe.wait_for("/readyz", 503, within=60, until=_broker_started)
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["kafka"] == "ok"
    assert checks["mongodb"].startswith("ServerSelectionTimeoutError: ")
    assert "s3cret-pw" not in str(body)
    assert probe.body("/healthz") == (200, {"status": "alive"})
    probe.process.stop()
    assert "s3cret-pw" not in probe.process.log_path.read_text()


def test_a_service_that_cannot_reach_kafka_at_startup_exits_instead_of_lying(
    probes: ProbeFactory, probe_env: dict[str, str]
) -> None:
    probe = probes.start(**{**probe_env, "CTS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"})
    started = time.monotonic()
    assert probe.process.wait(60) == 1, probe.process.log_tail()
    assert time.monotonic() - started < 60
    assert "the application failed" in probe.process.log_path.read_text()
