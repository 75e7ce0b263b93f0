"""Plain aiokafka clients (topic admin, CLI) honour the configured SASL/TLS settings."""

from __future__ import annotations

import ssl

from pydantic import SecretStr

from cts_runtime.kafka_security import client_security
from cts_runtime.settings import KafkaSettings


def test_plaintext_needs_no_options() -> None:
    assert client_security(KafkaSettings(kafka_security_protocol="PLAINTEXT")) == {}


def test_sasl_ssl_carries_mechanism_credentials_and_a_tls_context() -> None:
    options = client_security(
        KafkaSettings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="cts",
            kafka_sasl_password=SecretStr("s3cret"),
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"]) == ("SCRAM-SHA-512", "cts")
    assert options["sasl_plain_password"] == "s3cret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_sasl_plaintext_has_no_tls_context() -> None:
    options = client_security(KafkaSettings(kafka_security_protocol="SASL_PLAINTEXT"))
    assert "ssl_context" not in options
    assert options["sasl_plain_password"] == ""
