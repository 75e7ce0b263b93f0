"""An in-process orchestrator on the real broker and store, one per test namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from cts_orchestrator.app import build_app
from cts_orchestrator.settings import OrchestratorSettings
from cts_runtime.observability import ObservedAsgi
from cts_testing.stack import Endpoints


def orchestrator_settings(
    stack: Endpoints, namespace: str, topic_prefix: str, **extra: Any
) -> OrchestratorSettings:
    return OrchestratorSettings(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        mongodb_uri=stack.mongodb_uri,
        mongodb_database=f"cts_{namespace}",
        topic_prefix=topic_prefix,
        group_prefix=namespace,
        log_format="console",
        sweep_interval_s=0.5,
        outbox_grace_s=1.0,
        **extra,
    )


@pytest.fixture
async def orchestrator(
    stack: Endpoints, namespace: str, topic_prefix: str, mongo_db: Any
) -> AsyncIterator[ObservedAsgi]:
    app = build_app(orchestrator_settings(stack, namespace, topic_prefix))
    await app.start()
    yield app
    await app.stop()
