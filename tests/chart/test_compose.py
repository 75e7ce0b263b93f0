"""docker-compose.yml against the Compose Specification's JSON schema, then what CTS needs of it.

No Docker engine exists on the build machines, so nothing here runs docker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
SPEC = Path(__file__).with_name("compose_spec.json")
SERVICES = ("orchestrator", "agent-runner", "test-runner", "git-committer")


def validator() -> jsonschema.Draft201909Validator:
    schema = json.loads(SPEC.read_text())
    return jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator().iter_errors(compose)]
    assert errors == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c["services"]["orchestrator"]["depends_on"]["kafka"].update(condition="healthy"),
        lambda c: c["services"]["kafka"]["healthcheck"].update(every="10s"),
        lambda c: c["services"]["mongo"].update(ports="27017"),
        lambda c: c.update(servces={}),
    ],
)
def test_the_schema_catches_mistakes(compose: dict[str, Any], breakage: Any) -> None:
    broken = json.loads(json.dumps(compose))
    breakage(broken)
    assert list(validator().iter_errors(broken)), "the schema accepted a broken file"


def test_official_images_for_kafka_and_mongodb_with_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["mongo"]["image"].startswith("mongo:")
    kafka_env = services["kafka"]["environment"]
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, one node
    for name in ("kafka", "mongo"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_the_four_services_wait_for_healthy_dependencies_and_the_topics(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in SERVICES:
        service = services[name]
        assert service["command"] == [name]
        depends = service["depends_on"]
        assert depends["kafka"] == {"condition": "service_healthy"}, name
        assert depends["topics"] == {"condition": "service_completed_successfully"}, name
        assert service["healthcheck"]["test"] == ["CMD", "cts-entrypoint", "healthcheck", "/readyz"]
    for name in ("orchestrator", "agent-runner"):
        assert services[name]["depends_on"]["mongo"] == {"condition": "service_healthy"}


def test_topics_are_created_once_before_anything_else(compose: dict[str, Any]) -> None:
    topics = compose["services"]["topics"]
    assert topics["command"][0] == "topics"
    assert topics["restart"] == "no"
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}


def test_executors_share_one_workspace_volume(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "workspace" in compose["volumes"]
    for name in ("agent-runner", "test-runner", "git-committer"):
        assert "workspace:/workspace" in services[name]["volumes"], name
        assert services[name]["environment"]["CTS_WORKSPACE_ROOT"] == "/workspace"
    assert "volumes" not in services["orchestrator"]


def test_containers_run_unprivileged_on_a_read_only_root(compose: dict[str, Any]) -> None:
    for name in (*SERVICES, "topics"):
        service = compose["services"][name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "/tmp" in service["tmpfs"], name


def test_the_api_key_is_passed_through_and_kept_from_the_test_runner(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["agent-runner"]["environment"]["ANTHROPIC_API_KEY"] == "${ANTHROPIC_API_KEY:-}"
    untrusted = services["test-runner"]["environment"]
    assert not {"ANTHROPIC_API_KEY", "CTS_MONGODB_URI"} & set(untrusted)
    assert services["test-runner"]["build"]["target"] == "test-runner"
    assert "sk-" not in COMPOSE.read_text()


def test_the_test_runner_gets_a_database_server_and_the_fetch_settings(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    runner = services["test-runner"]
    assert runner["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert runner["environment"]["CTS_TEST_DATABASE_URL"].startswith("postgresql://postgres:")
    assert "@postgres:5432/" in runner["environment"]["CTS_TEST_DATABASE_URL"]
    assert "CTS_DEPS_ALLOWED_HOSTS" in runner["environment"]
    for name in ("orchestrator", "agent-runner", "git-committer"):
        assert "CTS_TEST_DATABASE_URL" not in services[name]["environment"], name
