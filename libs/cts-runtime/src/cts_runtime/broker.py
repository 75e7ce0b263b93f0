"""The one place a ``KafkaBroker`` and consumer settings are made."""

from __future__ import annotations

import logging
import ssl
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from cts_runtime.logs import broker_logger
from cts_runtime.settings import KafkaSettings, ServiceSettings


def _security(settings: KafkaSettings) -> BaseSecurity | None:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    use_ssl = protocol.endswith("SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    username = settings.kafka_sasl_username or ""
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    sasl = kinds[settings.kafka_sasl_mechanism]
    return sasl(
        username=username,
        password=password,
        ssl_context=context if use_ssl else None,
        use_ssl=use_ssl,
    )


def make_broker(settings: KafkaSettings, *, client_id: str, **kwargs: Any) -> KafkaBroker:
    """A broker whose producer is idempotent (acks=all): a result is never half-written."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        security=_security(settings),
        enable_idempotence=True,
        max_request_size=8 * 1024 * 1024,
        logger=broker_logger(),  # through our formatter: JSON like every other line
        # FastStream's two lines per message ("Received", then "Processed" when the handler
        # has only handed the message to its window) say less than the service's own lines
        # and doubled the log volume; at INFO they cost the orchestrator 5-8% of its CPU.
        log_level=logging.DEBUG,
        **kwargs,
    )


MAX_POLL_INTERVAL_MS = 60_000
"""A member that has not polled for this long is stuck (its event loop blocked) and leaves the
group, so its partitions move. Handlers never block polling (``subscribe`` runs them beside
the consumer), so this no longer has to exceed a step's deadline."""


def consumer_options(settings: ServiceSettings, *, group: str) -> dict[str, Any]:
    """Consumer settings of every subscription.

    Offsets are committed by the subscription's window (``AckPolicy.MANUAL``), each partition
    up to its lowest unfinished message: at-least-once, and handlers are idempotent.
    """
    return {
        "group_id": f"{settings.group_prefix}-{group}",
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": MAX_POLL_INTERVAL_MS,
        "session_timeout_ms": settings.kafka_session_timeout_s * 1000,
        "heartbeat_interval_ms": min(3_000, settings.kafka_session_timeout_s * 1000 // 3),
        "ack_policy": AckPolicy.MANUAL,
    }
