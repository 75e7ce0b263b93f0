"""What the chart gives the test-runner for real applications: an external PostgreSQL for the
runs' databases (a Secret, or none) and the dependency fetch's hosts, Hex settings, CA and
key, mounted as files for the test-runner only; its egress opens exactly for them."""

from __future__ import annotations

import pytest

from .conftest import Manifest, Render, of_kind, run_helm, template_args

EXTERNAL = (
    "testDatabase.urlSecret.name=cts-test-database",
    "testDatabase.port=6432",
    "testDatabase.peers[0].ipBlock.cidr=10.0.5.0/24",
    "dependencies.allowedHosts={git.example.com,hex-mirror.example:8443}",
    "dependencies.resolve={git.example.com:443=10.0.0.7:443}",
    "dependencies.hexMirror=https://hex-mirror.example:8443/repo",
    "dependencies.hexOffline=true",
    "dependencies.hexReposKeySecret.name=cts-hex",
    "dependencies.caSecret.name=corp-ca",
    "dependencies.egressPorts={443,8443}",
)


def _containers_and_volumes(manifests: list[Manifest]) -> dict[str, tuple[Manifest, Manifest]]:
    out = {}
    for name, deployment in of_kind(manifests, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        out[name.removeprefix("rel-cts-")] = (
            spec["containers"][0],
            {volume["name"]: volume for volume in spec["volumes"]},
        )
    return out


def test_an_external_database_and_the_fetch_settings_reach_the_test_runner_only(
    render: Render,
) -> None:
    services = _containers_and_volumes(render(*EXTERNAL))

    container, volumes = services.pop("test-runner")
    env = {item["name"]: item for item in container["env"]}
    assert env["CTS_TEST_DATABASE_URL_FILE"] == {
        "name": "CTS_TEST_DATABASE_URL_FILE", "value": "/etc/cts/test-database/url",
    }  # fmt: skip
    assert env["CTS_DEPS_ALLOWED_HOSTS"]["value"] == "git.example.com,hex-mirror.example:8443"
    assert env["CTS_DEPS_RESOLVE"]["value"] == "git.example.com:443=10.0.0.7:443"
    assert env["CTS_HEX_MIRROR"]["value"] == "https://hex-mirror.example:8443/repo"
    assert env["CTS_HEX_OFFLINE"]["value"] == "true"
    assert env["CTS_HEX_REPOS_KEY_FILE"]["value"] == "/etc/cts/hex/key"
    assert env["CTS_DEPS_CA_FILE"]["value"] == "/etc/cts/deps-ca/ca.crt"
    assert {name: v["secret"]["secretName"] for name, v in volumes.items() if "secret" in v} == {
        "test-database": "cts-test-database", "hex-key": "cts-hex", "deps-ca": "corp-ca",
    }  # fmt: skip
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert all(mounts[name]["readOnly"] for name in ("test-database", "hex-key", "deps-ca"))
    for service, (other, other_volumes) in services.items():
        names = {item["name"] for item in other.get("env", [])}
        assert not any(n.startswith(("CTS_TEST_DATABASE", "CTS_DEPS_", "CTS_HEX_")) for n in names)
        assert not {"test-database", "hex-key", "deps-ca"} & set(other_volumes), service


def test_without_them_the_test_runner_gets_no_database_and_fetches_nothing(
    render: Render,
) -> None:
    container, volumes = _containers_and_volumes(render())["test-runner"]
    names = {item["name"] for item in container["env"]}
    assert not any(n.startswith(("CTS_TEST_DATABASE", "CTS_DEPS_", "CTS_HEX_")) for n in names)
    assert not {"test-database", "hex-key", "deps-ca"} & set(volumes)


def test_the_test_runner_egress_opens_for_the_database_and_the_dependency_ports(
    render: Render,
) -> None:
    (policy,) = of_kind(render(*EXTERNAL), "NetworkPolicy").values()
    kafka, database, dependencies, dns = policy["spec"]["egress"]
    assert database == {
        "ports": [{"port": 6432, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.0.5.0/24"}}],
    }
    assert dependencies == {
        "ports": [{"port": 443, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]
    }
    assert {p["port"] for p in kafka["ports"]} == {9092, 9093}
    assert {p["port"] for p in dns["ports"]} == {53}


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("dependencies.hexMirror=http://mirror.example", "/dependencies/hexMirror"),
        ("dependencies.allowedHosts={https://git.example.com}", "/dependencies/allowedHosts"),
        ("dependencies.resolve={git.example.com}", "/dependencies/resolve"),
        ("testDatabase.port=0", "/testDatabase/port"),
        ("testDatabase.url=postgresql://u:p@h/db", "testDatabase"),
    ],
)
def test_the_schema_rejects_bad_reach_values(helm: str, setting: str, complaint: str) -> None:
    done = run_helm(helm, *template_args(setting))
    assert done.returncode != 0, f"{setting} was accepted"
    assert complaint in done.stderr
