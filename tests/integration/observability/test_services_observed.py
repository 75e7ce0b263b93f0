"""The four real services, each run the way its ``__main__`` will be: probes and metrics answer."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cts_contracts.topics import GIT_STEP_REQUESTED, SESSION_REQUESTED, topic
from cts_testing.factories import session_requested
from cts_testing.kafka import Collector, publish
from cts_testing.stack import Endpoints

from .conftest import ProbeFactory

SERVICES = ("orchestrator", "agent-runner", "test-runner", "git-committer")


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_probes_and_metrics(
    service: str,
    probes: ProbeFactory,
    probe_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workspace = tmp_path_factory.mktemp("workspace")
    probe = probes.start(
        service, module="observed_service", **probe_env, CTS_SERVICE_NAME=service,
        CTS_WORKSPACE_ROOT=str(workspace), ANTHROPIC_API_KEY="placeholder-not-used",
    )  # fmt: skip
    checks = probe.wait_for("/readyz", 200, within=90)["checks"]
    uses_mongodb = service in ("orchestrator", "agent-runner")
    assert checks == ({"kafka": "ok", "mongodb": "ok"} if uses_mongodb else {"kafka": "ok"})
    assert probe.body("/healthz") == (200, {"status": "alive"})
    names = families(probe.get("/metrics").text)
    assert {"faststream_received_messages", "cts_step_outcomes", "cts_llm_tokens"} <= names
    probe.process.stop()
    assert probe.process.wait(1) == 0, probe.process.log_tail()


async def test_the_orchestrator_counts_what_it_consumes_and_publishes(
    stack: Endpoints, topic_prefix: str, probes: ProbeFactory, probe_env: dict[str, str]
) -> None:
    probe = probes.start("orchestrator", module="observed_service", **probe_env,
                         CTS_SERVICE_NAME="orchestrator")  # fmt: skip
    probe.wait_for("/readyz", 200, within=90)
    request = session_requested()
    bootstrap = stack.kafka_bootstrap_servers
    async with Collector(bootstrap, topic(GIT_STEP_REQUESTED, topic_prefix)) as commands:
        await publish(bootstrap, topic(SESSION_REQUESTED, topic_prefix), request,
                      key=request.data.session_id)  # fmt: skip
        await commands.wait_for(lambda e: len(e) >= 1, within=60)
    text = probe.get("/metrics").text
    received = {
        sample.labels["handler"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "faststream_received_messages"
        for sample in family.samples
        if sample.name == "faststream_received_messages_total"
    }
    assert received[topic(SESSION_REQUESTED, topic_prefix)] == 1
    published = [
        sample
        for family in text_string_to_metric_families(text)
        if family.name == "faststream_published_messages"
        for sample in family.samples
        if sample.name == "faststream_published_messages_total"
        and sample.labels["destination"] == topic(GIT_STEP_REQUESTED, topic_prefix)
    ]
    assert [s.value for s in published] == [1.0]
