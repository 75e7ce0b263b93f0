"""SASL/TLS options for plain aiokafka clients (admin, CLI producer, follower)."""

from __future__ import annotations

import ssl
from typing import Any

from cts_runtime.settings import KafkaSettings


def client_security(settings: KafkaSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured SASL/TLS (empty for plain text)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.endswith("SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username or "",
            "sasl_plain_password": password.get_secret_value() if password else "",
        }
    return options
