"""Who may say what on the bus: on a Kafka with SASL/SCRAM and the ACLs of
``cts_runtime.kafka_acls`` (``make up KAFKA_AUTH=scram``), each principal publishes and reads
only what its role needs. The attack of the issue: a client, or anyone holding a client's
credential, publishing a result or a command."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from cts_contracts.topics import (
    AGENT_STEP_REQUESTED,
    DEADLETTER,
    GIT_STEP_REQUESTED,
    SESSION_FINISHED,
    SESSION_REQUESTED,
    STEP_COMPLETED,
    TESTS_STEP_REQUESTED,
    topic,
)
from cts_testing.kafka import publish
from cts_testing.stack import Endpoints
from tests.reliability.harness import namespace_topics

WRITES = [
    ("client", STEP_COMPLETED, False),
    ("client", GIT_STEP_REQUESTED, False),
    ("client", TESTS_STEP_REQUESTED, False),
    ("client", SESSION_FINISHED, False),
    ("client", DEADLETTER, False),
    ("client", SESSION_REQUESTED, True),
    ("test-runner", AGENT_STEP_REQUESTED, False),
    ("test-runner", SESSION_FINISHED, False),
    ("test-runner", STEP_COMPLETED, True),
    ("git-committer", SESSION_REQUESTED, False),
    ("orchestrator", STEP_COMPLETED, False),
    ("orchestrator", GIT_STEP_REQUESTED, True),
    ("orchestrator", SESSION_FINISHED, True),
]
READS = [
    ("client", AGENT_STEP_REQUESTED, False),
    ("client", STEP_COMPLETED, True),
    ("client", SESSION_REQUESTED, False),  # it may write there, not read
    ("test-runner", GIT_STEP_REQUESTED, False),
    ("test-runner", SESSION_REQUESTED, False),
    ("test-runner", TESTS_STEP_REQUESTED, True),
    ("agent-runner", AGENT_STEP_REQUESTED, True),
]


MARKER = b'{"marker": 1}'


@pytest.fixture(scope="module")
async def bus(authenticated_stack: Endpoints) -> tuple[Endpoints, str]:
    """Topics of this module alone, each holding one message (written as the admin)."""
    prefix = f"acl{uuid.uuid4().hex[:8]}."
    await namespace_topics(authenticated_stack, prefix, partitions=1)
    for base in {base for _, base, _ in READS}:
        await publish(authenticated_stack.kafka_bootstrap_servers, topic(base, prefix), MARKER,
                      key="m", security=authenticated_stack.kafka_options())  # fmt: skip
    return authenticated_stack, prefix


async def test_without_credentials_nothing_is_reachable(
    bus: tuple[Endpoints, str], caplog: pytest.LogCaptureFixture
) -> None:
    endpoints, prefix = bus
    wrong = {**endpoints.kafka_options("client"), "sasl_plain_password": "guessed"}
    for security in (wrong, {}):  # a wrong password; no SASL at all
        with pytest.raises(KafkaConnectionError):
            await publish(endpoints.kafka_bootstrap_servers, topic(SESSION_REQUESTED, prefix),
                          b"{}", key="k", security=security)  # fmt: skip
    assert "SaslAuthenticationFailed" in caplog.text


@pytest.mark.parametrize(("principal", "base", "allowed"), WRITES)
async def test_a_principal_writes_only_what_its_role_publishes(
    bus: tuple[Endpoints, str], principal: str, base: str, allowed: bool
) -> None:
    endpoints, prefix = bus
    attempt = publish(endpoints.kafka_bootstrap_servers, topic(base, prefix), b'{"forged": 1}',
                      key="s", security=endpoints.kafka_options(principal))  # fmt: skip
    if allowed:
        await attempt
    else:
        with pytest.raises(TopicAuthorizationFailedError):
            await attempt


@pytest.mark.parametrize(("principal", "base", "allowed"), READS)
async def test_a_principal_reads_only_what_its_role_consumes(
    bus: tuple[Endpoints, str], principal: str, base: str, allowed: bool
) -> None:
    """A principal without Describe does not even see the topic (its fetch never starts:
    nothing arrives); one that may Describe but not Read is refused outright."""
    endpoints, prefix = bus
    partition = TopicPartition(topic(base, prefix), 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=endpoints.kafka_bootstrap_servers,
                                group_id=None, **endpoints.kafka_options(principal))  # fmt: skip
    await consumer.start()
    try:
        consumer.assign([partition])
        consumer.seek(partition, 0)
        try:
            batch = await consumer.getmany(partition, timeout_ms=2000)
        except TopicAuthorizationFailedError:
            batch = {}
        read = [record.value for record in batch.get(partition, [])]
        if allowed:
            assert MARKER in read
        else:
            assert read == []
    finally:
        await consumer.stop()
