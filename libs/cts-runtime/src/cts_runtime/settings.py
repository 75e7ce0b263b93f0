"""Typed settings read from ``CTS_``-prefixed environment variables, safe local defaults."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cts_contracts import Step


class KafkaSettings(BaseSettings):
    """Kafka: every service and the `cts` CLI."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated host:port"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How clients talk to the brokers"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="PLAIN", description="SASL mechanism (with a SASL_* protocol)"
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL username")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="SASL password (never logged)"
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="CA bundle for the brokers' TLS certificates (SSL protocols)"
    )
    topic_prefix: str = Field(default="", description="Prepended to every topic (tests, tenants)")
    group_prefix: str = Field(default="cts", description="Consumer groups are <prefix>-<service>")


class MongoSettings(BaseSettings):
    """MongoDB: the orchestrator, the agent-runner and `cts sessions`."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    mongodb_uri: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27017/"),
        description="MongoDB connection string (never logged; credentials go here)",
    )
    mongodb_database: str = Field(default="cts", description="Database holding the sessions")
    mongodb_max_connections: int = Field(
        default=8,
        ge=1,
        le=500,
        description="Most MongoDB operations one process has in flight at once (the driver's "
        "maxPoolSize; it replaces one given in the URI); more wait for a free connection "
        "within the operation timeout. FerretDB v1 stops answering a database under about 150 "
        "concurrent writes, and costs more per write the more run at once",
    )


class ServiceSettings(KafkaSettings, MongoSettings):
    """Every service (each extends this class with its own fields)."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    service_name: str = Field(
        default="cts", description="Names the service in logs, metrics and consumer groups"
    )
    instance_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="Names this process in claims and outboxes; default <host name>-<pid>",
    )
    workspace_root: Path = Field(
        default=Path(".cache/workspaces"),
        description="Session working copies, shared by the git-committer, agent-runner and "
        "test-runner (one volume for all three)",
    )
    step_deadline_s: int = Field(default=1800, ge=10, description="Longest a step may run")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "console"] = Field(
        default="json", description="json: every line one JSON object; console: for people"
    )
    max_handler_failures: int = Field(
        default=5, ge=1, description="Unexpected errors on one message before it is dead-lettered"
    )
    max_in_flight: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Messages one replica handles at once per subscription (one at a time per "
        "session); a full window pauses reading until one finishes",
    )
    kafka_session_timeout_s: int = Field(
        default=30,
        ge=6,
        le=300,
        description="A replica that stops heartbeating keeps its partitions this long: after a "
        "crash, its messages wait this long for another replica",
    )
    drain_grace_s: float = Field(
        default=5,
        ge=0,
        le=120,
        description="At shutdown and when a rebalance takes partitions away: how long running "
        "handlers get to finish (at shutdown the rest are cancelled and redelivered)",
    )
    fault_kill_before_answer: Step | None = Field(
        default=None,
        description="Reliability tests only: an executor SIGKILLs itself after running this "
        "step and before publishing its answer (a crash between the work and the answer)",
    )
    fault_kill_at_full_window: bool = Field(
        default=False,
        description="Reliability tests only: SIGKILL this process when a subscription's window "
        "is full again after some of its messages finished",
    )
