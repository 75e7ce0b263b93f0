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
    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    topic_prefix: str = Field(default="", description="Prepended to every topic (tests, tenants)")
    group_prefix: str = Field(default="cts", description="Consumer groups are <prefix>-<service>")


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    mongodb_uri: SecretStr = SecretStr("mongodb://127.0.0.1:27017/")
    mongodb_database: str = "cts"


class ServiceSettings(KafkaSettings, MongoSettings):
    """What every CTS service reads; services extend it with their own fields."""

    model_config = SettingsConfigDict(env_prefix="CTS_", extra="ignore")

    service_name: str = "cts"
    instance_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    workspace_root: Path = Path(".cache/workspaces")
    step_deadline_s: int = Field(default=1800, ge=10, description="Longest a step may run")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    max_handler_failures: int = Field(
        default=5, ge=1, description="Unexpected errors on one message before it is dead-lettered"
    )
    fault_kill_before_answer: Step | None = Field(
        default=None,
        description="Reliability tests only: an executor SIGKILLs itself after running this "
        "step and before publishing its answer (a crash between the work and the answer)",
    )
