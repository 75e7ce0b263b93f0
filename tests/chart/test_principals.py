"""Who may say what, as the chart deploys it: Strimzi KafkaUsers rendered from the one ACL list
(``cts_runtime.kafka_acls``), each service logging in as its own user, the tenants map as a
Secret mounted into the git-committer alone; and the copies of the list (the chart's file and
docs/deploy.md's table) kept equal to it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from cts_runtime.kafka_acls import PRINCIPALS, chart_file, grants, markdown_table

from .conftest import CHART, REPO, Render, of_kind, run_helm, template_args

USERS = (
    "kafka.securityProtocol=SASL_SSL", "kafka.sasl.username=cts-admin",
    "kafka.sasl.passwordSecret.name=cts-admin", "kafka.users.create=true",
    "kafka.users.cluster=my-cluster", "kafka.users.namespace=kafka",
    "kafka.topicPrefix=eu.", "kafka.groupPrefix=cts-eu",
)  # fmt: skip
STRIMZI_PATTERN = {"literal": "literal", "prefixed": "prefix"}


def _env(manifest: dict[str, Any]) -> dict[str, Any]:
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


def test_the_chart_and_the_docs_carry_the_acl_list_as_it_is() -> None:
    assert (CHART / "kafka-acls.yaml").read_text() == chart_file(), (
        "regenerate: python -m cts_runtime.kafka_acls chart > deploy/helm/cts/kafka-acls.yaml"
    )
    assert markdown_table() in (REPO / "docs" / "deploy.md").read_text(), (
        "docs/deploy.md: paste python -m cts_runtime.kafka_acls table"
    )


def test_kafka_users_are_off_by_default(render: Render) -> None:
    assert not of_kind(render(), "KafkaUser")


def test_each_principal_gets_a_kafka_user_with_exactly_its_acls(render: Render) -> None:
    manifests = render(*USERS)
    users = of_kind(manifests, "KafkaUser")
    assert set(users) == {f"cts-{p}" for p in PRINCIPALS}
    for principal in PRINCIPALS:
        user = users[f"cts-{principal}"]
        assert user["metadata"]["namespace"] == "kafka"
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "my-cluster"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        rendered = [
            (r["resource"]["type"], r["resource"]["name"], r["resource"]["patternType"],
             tuple(r["operations"]))
            for r in user["spec"]["authorization"]["acls"]
        ]  # fmt: skip
        wanted = [(g.resource, g.name, STRIMZI_PATTERN[g.pattern], g.operations)
                  for g in grants("eu.", "cts-eu") if g.principal == principal]  # fmt: skip
        assert rendered == wanted, principal

    for name, deployment in of_kind(manifests, "Deployment").items():
        service = name.removeprefix("rel-cts-")
        env = _env(deployment)
        assert env["CTS_KAFKA_SASL_USERNAME"]["value"] == f"cts-{service}"
        assert env["CTS_KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512"
        assert env["CTS_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": f"cts-{service}", "key": "password",
        }  # fmt: skip
        assert env["CTS_SERVICE_NAME"]["value"] == service  # its consumer groups' name
    [job] = of_kind(manifests, "Job").values()
    assert _env(job)["CTS_KAFKA_SASL_USERNAME"]["value"] == "cts-admin"  # creates topics


def test_kafka_users_need_a_sasl_protocol(helm: str) -> None:
    done = run_helm(helm, *template_args("kafka.users.create=true", "kafka.users.cluster=c"))
    assert done.returncode != 0
    assert "kafka.users.create needs a SASL kafka.securityProtocol" in done.stderr


def test_the_tenants_map_is_a_secret_only_the_git_committer_mounts(
    render: Render, tmp_path: Path
) -> None:
    tenants = {"tenants": [{"account": "acme", "repositories": ["https://git.example.com/a/*"]}]}
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"secrets": {"gitTenants": yaml.safe_dump(tenants)}}))
    manifests = render("git.tenantsSecret.name=cts-git-tenants", "secrets.create=true",
                       "secrets.mongodbUri=mongodb://m:27017/", "secrets.anthropicApiKey=k",
                       values=values)  # fmt: skip
    secret = of_kind(manifests, "Secret")["cts-git-tenants"]
    assert yaml.safe_load(base64.b64decode(secret["data"]["tenants.yaml"])) == tenants
    for name, deployment in of_kind(manifests, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        mounts = {m["name"]: m for m in spec["containers"][0].get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        if name.endswith("git-committer"):
            assert _env(deployment)["CTS_GIT_TENANTS_FILE"]["value"] == (
                "/etc/cts/git-tenants/tenants.yaml"
            )
            assert mounts["git-tenants"] == {
                "name": "git-tenants", "mountPath": "/etc/cts/git-tenants", "readOnly": True,
            }  # fmt: skip
            assert volumes["git-tenants"]["secret"]["secretName"] == "cts-git-tenants"
        else:
            assert "CTS_GIT_TENANTS_FILE" not in _env(deployment), name
            assert "git-tenants" not in volumes, name
