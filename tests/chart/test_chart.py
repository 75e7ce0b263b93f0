"""The Helm chart, linted and rendered by a real helm binary, and its manifests checked."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cts_contracts import topics as t

from .conftest import CHART, Manifest, Render, of_kind, run_helm, template_args

SERVICES = ("orchestrator", "agent-runner", "test-runner", "git-committer")
EXECUTOR_TOPICS = {
    "agent-runner": t.AGENT_STEP_REQUESTED,
    "test-runner": t.TESTS_STEP_REQUESTED,
    "git-committer": t.GIT_STEP_REQUESTED,
}
SASL_TLS = (
    "kafka.securityProtocol=SASL_SSL", "kafka.sasl.username=cts",
    "kafka.sasl.passwordSecret.name=cts-kafka-user", "kafka.tls.caSecret.name=kafka-cluster-ca",
)  # fmt: skip
EVERYTHING = (
    *SASL_TLS,
    "autoscaling.enabled=true", "autoscaling.keda=true", "metrics.serviceMonitor.enabled=true",
    "tracing.otlpEndpoint=http://otel:4318", "secrets.create=true",
    "secrets.mongodbUri=mongodb://u:p@mongo:27017/", "secrets.anthropicApiKey=sk-ant-test",
    "kafka.topicPrefix=eu.", "kafka.groupPrefix=cts-eu",
)  # fmt: skip
VARIANTS = {"defaults": (), "sasl-tls": SASL_TLS, "everything": EVERYTHING}


def pod_specs(manifests: list[Manifest]) -> dict[str, Manifest]:
    """Every pod template: the Deployments' and the topic Job's."""
    specs = {}
    for m in manifests:
        if m["kind"] in ("Deployment", "Job"):
            specs[f"{m['kind']}/{m['metadata']['name']}"] = m["spec"]["template"]["spec"]
    return specs


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {e["name"]: e for e in container.get("env", [])}


def test_the_chart_lints_strictly(helm: str) -> None:
    for sets in VARIANTS.values():
        args = ["lint", str(CHART), "--strict", "--kube-version", "1.30.0"]
        for item in sets:
            args += ["--set", item]
        done = run_helm(helm, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 chart(s) failed" in done.stdout


def test_defaults_render_the_whole_installation(render: Render) -> None:
    manifests = render()
    kinds = sorted(m["kind"] for m in manifests)
    assert kinds.count("Deployment") == 4
    assert kinds.count("Service") == 4
    assert kinds.count("PodDisruptionBudget") == 4
    for kind in ("ServiceAccount", "ConfigMap", "PersistentVolumeClaim", "NetworkPolicy", "Job"):
        assert kinds.count(kind) == 1, kind
    for absent in ("ServiceMonitor", "ScaledObject", "HorizontalPodAutoscaler", "Secret"):
        assert absent not in kinds
    assert set(of_kind(manifests, "Deployment")) == {f"rel-cts-{s}" for s in SERVICES}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_is_probed_bounded_and_unprivileged(render: Render, variant: str) -> None:
    specs = pod_specs(render(*VARIANTS[variant]))
    assert len(specs) == 5
    for where, spec in specs.items():
        assert spec["automountServiceAccountToken"] is False, where
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, where
        assert pod_security["runAsUser"] > 0, where
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for container in spec["containers"]:
            name = f"{where}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in security["capabilities"], name
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"
            if where.startswith("Job/"):
                continue
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
            assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert ports == {"http": 8080}, name
            env = env_of(container)
            assert env["CTS_SERVICE_NAME"]["value"] == container["name"]
            assert container["args"] == [container["name"]]


def test_only_the_test_runner_loosens_seccomp_and_apparmor_for_its_sandbox(
    render: Render,
) -> None:
    for name, deployment in of_kind(render(), "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        [container] = spec["containers"]
        security = container["securityContext"]
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert security["allowPrivilegeEscalation"] is False, name
        if name != "rel-cts-test-runner":
            assert "seccompProfile" not in security, name
            assert not any(key.startswith("CTS_SANDBOX") for key in env_of(container)), name
            continue
        # bubblewrap needs clone/unshare/mount, which the runtimes' default profiles refuse.
        assert security["seccompProfile"] == {"type": "Unconfined"}
        assert security["appArmorProfile"] == {"type": "Unconfined"}
        assert security["procMount"] == "Default"
        assert "hostUsers" not in spec
        env = {k: v["value"] for k, v in env_of(container).items() if k.startswith("CTS_SANDBOX")}
        assert env == {
            "CTS_SANDBOX": "bubblewrap",
            "CTS_SANDBOX_MOUNT_PROC": "false",
            "CTS_SANDBOX_UID": "65534",
            "CTS_SANDBOX_GID": "65534",
        }


def test_a_tight_seccomp_profile_and_user_namespaced_pods_can_be_chosen(render: Render) -> None:
    manifests = render(
        "sandbox.seccompProfile.type=Localhost",
        "sandbox.seccompProfile.localhostProfile=profiles/cts-sandbox.json",
        "sandbox.hostUsers=false",
        "sandbox.procMount=Unmasked",
        "sandbox.mountProc=true",
    )
    spec = of_kind(manifests, "Deployment")["rel-cts-test-runner"]["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["securityContext"]["seccompProfile"] == {
        "type": "Localhost",
        "localhostProfile": "profiles/cts-sandbox.json",
    }
    assert container["securityContext"]["procMount"] == "Unmasked"
    assert spec["hostUsers"] is False
    assert env_of(container)["CTS_SANDBOX_MOUNT_PROC"]["value"] == "true"


def test_secrets_are_referenced_never_inlined_and_the_test_runner_gets_none(
    render: Render,
) -> None:
    manifests = render(*SASL_TLS)
    containers = {
        name.removeprefix("rel-cts-"): d["spec"]["template"]["spec"]["containers"][0]
        for name, d in of_kind(manifests, "Deployment").items()
    }
    for service, container in containers.items():
        env = env_of(container)
        for name, entry in env.items():
            if any(word in name for word in ("PASSWORD", "API_KEY", "MONGODB_URI")):
                assert "value" not in entry, f"{service}: {name} inlined"
                assert "secretKeyRef" in entry["valueFrom"], f"{service}: {name}"
        assert env["CTS_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "cts-kafka-user", "key": "password",
        }  # fmt: skip
        assert env["CTS_KAFKA_SSL_CAFILE"]["value"] == "/etc/cts/kafka-ca/ca.crt"
    assert "ANTHROPIC_API_KEY" in env_of(containers["agent-runner"])
    assert "CTS_MONGODB_URI" in env_of(containers["orchestrator"])
    assert "CTS_MONGODB_URI" in env_of(containers["agent-runner"])
    untrusted = env_of(containers["test-runner"])
    assert "ANTHROPIC_API_KEY" not in untrusted
    assert "CTS_MONGODB_URI" not in untrusted
    assert "ANTHROPIC_API_KEY" not in env_of(containers["orchestrator"])


def test_the_trial_secrets_are_created_only_when_asked(render: Render) -> None:
    secrets = of_kind(render(*EVERYTHING), "Secret")
    assert set(secrets) == {"cts-mongodb", "cts-anthropic"}
    assert set(secrets["cts-mongodb"]["data"]) == {"uri"}
    assert set(secrets["cts-anthropic"]["data"]) == {"api-key"}


def test_the_workspace_is_one_readwritemany_claim_the_executors_share(render: Render) -> None:
    manifests = render()
    (claim,) = of_kind(manifests, "PersistentVolumeClaim").values()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "storageClassName" not in claim["spec"]
    for name, deployment in of_kind(manifests, "Deployment").items():
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        if name == "rel-cts-orchestrator":
            assert "workspace" not in volumes
        else:
            assert volumes["workspace"]["persistentVolumeClaim"]["claimName"] == "rel-cts-workspace"

    (nfs,) = of_kind(render("workspace.persistence.storageClass=nfs-csi"),
                     "PersistentVolumeClaim").values()  # fmt: skip
    assert nfs["spec"]["storageClassName"] == "nfs-csi"
    (static,) = of_kind(render("workspace.persistence.storageClass=-"),
                        "PersistentVolumeClaim").values()  # fmt: skip
    assert static["spec"]["storageClassName"] == ""
    assert of_kind(render("workspace.persistence.existingClaim=shared"),
                   "PersistentVolumeClaim") == {}  # fmt: skip


def test_the_test_runner_may_reach_kafka_and_dns_only(render: Render) -> None:
    peers = "networkPolicy.kafkaPeers[0].namespaceSelector.matchLabels.name=kafka"
    (policy,) = of_kind(render(peers), "NetworkPolicy").values()
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test-runner"
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    kafka_rule, dns_rule = spec["egress"]
    assert {p["port"] for p in kafka_rule["ports"]} == {9092, 9093}
    assert kafka_rule["to"] == [{"namespaceSelector": {"matchLabels": {"name": "kafka"}}}]
    assert {(p["port"], p["protocol"]) for p in dns_rule["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert all(rule.get("ports") for rule in spec["egress"]), "a rule without ports allows all"
    assert spec["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


def test_disruption_budgets_and_services_select_their_own_pods(render: Render) -> None:
    manifests = render()
    deployments = of_kind(manifests, "Deployment")
    for kind in ("PodDisruptionBudget", "Service"):
        for name, item in of_kind(manifests, kind).items():
            selector = item["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= pod_labels.items(), f"{kind}/{name}"
            others = [d for n, d in deployments.items() if n != name]
            assert all(not selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
                       for d in others), f"{kind}/{name} selects another service"  # fmt: skip
    for budget in of_kind(manifests, "PodDisruptionBudget").values():
        assert budget["spec"]["maxUnavailable"] == 1


def test_the_service_monitor_scrapes_every_service_when_enabled(render: Render) -> None:
    manifests = render("metrics.serviceMonitor.enabled=true",
                       "metrics.serviceMonitor.labels.release=prometheus")  # fmt: skip
    (monitor,) = of_kind(manifests, "ServiceMonitor").values()
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    services = of_kind(manifests, "Service").values()
    assert all(selector.items() <= s["metadata"]["labels"].items() for s in services)


def test_keda_scales_each_executor_on_its_consumer_groups_lag(render: Render) -> None:
    manifests = render(*EVERYTHING)
    scaled = of_kind(manifests, "ScaledObject")
    assert set(scaled) == {f"rel-cts-{s}" for s in EXECUTOR_TOPICS}
    deployments = of_kind(manifests, "Deployment")
    for service, command_topic in EXECUTOR_TOPICS.items():
        name = f"rel-cts-{service}"
        (trigger,) = scaled[name]["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        # The group the executor harness joins: <group prefix>-<CTS_SERVICE_NAME>.
        assert trigger["metadata"]["consumerGroup"] == f"cts-eu-{service}"
        assert trigger["metadata"]["topic"] == t.topic(command_topic, "eu.")
        assert scaled[name]["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns replicas"
    assert deployments["rel-cts-orchestrator"]["spec"]["replicas"] == 2
    assert of_kind(manifests, "HorizontalPodAutoscaler") == {}


def test_the_lag_thresholds_follow_what_a_pod_holds(render: Render) -> None:
    """In-flight commands count as lag until they finish: a pod is full at a lag of its
    window, and KEDA scales out at 80% of it by default."""
    thresholds = {
        name: obj["spec"]["triggers"][0]["metadata"]["lagThreshold"]
        for name, obj in of_kind(render(*EVERYTHING), "ScaledObject").items()
    }
    assert thresholds == {"rel-cts-agent-runner": "102", "rel-cts-test-runner": "1",
                          "rel-cts-git-committer": "6"}  # fmt: skip
    changed = render(*EVERYTHING, "concurrency.agentRunner=50",
                     "autoscaling.targetWindowUtilizationPercentage=50")  # fmt: skip
    agent = of_kind(changed, "ScaledObject")["rel-cts-agent-runner"]
    assert agent["spec"]["triggers"][0]["metadata"]["lagThreshold"] == "25"


def test_each_service_gets_its_window(render: Render) -> None:
    windows = {}
    for name, deployment in of_kind(render("concurrency.testRunner=3"), "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = env_of(container)
        window = env.get("CTS_MAX_IN_FLIGHT") or env["CTS_TEST_CONCURRENCY"]
        windows[name.removeprefix("rel-cts-")] = (window["value"], "CTS_MAX_IN_FLIGHT" in env)
    assert windows == {"orchestrator": ("64", True), "agent-runner": ("128", True),
                       "git-committer": ("8", True), "test-runner": ("3", False)}  # fmt: skip


def test_without_keda_the_executors_get_cpu_autoscalers(render: Render) -> None:
    manifests = render("autoscaling.enabled=true", "autoscaling.maxReplicas.testRunner=6")
    hpas = of_kind(manifests, "HorizontalPodAutoscaler")
    assert set(hpas) == {f"rel-cts-{s}" for s in EXECUTOR_TOPICS}
    runner = hpas["rel-cts-test-runner"]["spec"]
    assert (runner["minReplicas"], runner["maxReplicas"]) == (1, 6)
    assert runner["metrics"][0]["resource"]["name"] == "cpu"
    assert of_kind(manifests, "ScaledObject") == {}


def test_the_topic_job_is_a_pre_install_hook_with_the_kafka_settings(render: Render) -> None:
    (job,) = of_kind(render(*SASL_TLS, "topics.partitions=24"), "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["topics", "--partitions", "24", "--replication-factor", "3"]
    env = env_of(container)
    assert env["CTS_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert "secretKeyRef" in env["CTS_KAFKA_SASL_PASSWORD"]["valueFrom"]
    assert of_kind(render("topics.create=false"), "Job") == {}


def test_tracing_and_settings_reach_the_services_through_the_configmap(render: Render) -> None:
    manifests = render("tracing.otlpEndpoint=http://otel:4318", "config.CTS_STEP_DEADLINE_S=900")
    (config,) = of_kind(manifests, "ConfigMap").values()
    data = config["data"]
    assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel:4318"
    assert data["CTS_STEP_DEADLINE_S"] == "900"
    assert data["CTS_HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - in a pod the probes come from outside
    assert data["CTS_HTTP_PORT"] == "8080"
    assert (
        "OTEL_EXPORTER_OTLP_ENDPOINT"
        not in of_kind(render(), "ConfigMap")["rel-cts-config"]["data"]
    )


def test_retention_reaches_every_service_as_whole_seconds(render: Render) -> None:
    (config,) = of_kind(render("retention.sessions=604800", "retention.batch=20"),
                        "ConfigMap").values()  # fmt: skip
    data = config["data"]
    assert data["CTS_SESSION_RETENTION_S"] == "604800"  # not 6.048e+05
    assert data["CTS_RETENTION_BATCH"] == "20"
    assert data["CTS_RETENTION_SWEEP_INTERVAL_S"] == "600"
    assert data["CTS_WORKSPACE_RETENTION_S"] == "0"
    assert data["CTS_CLEANUP_MAX_PER_PASS"] == "100"


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("replicas.orchestrator=-1", "/replicas/orchestrator"),
        ("replicas.testRunner=many", "/replicas/testRunner"),
        ("kafka.securityProtocol=TLS", "/kafka/securityProtocol"),
        ("kafka.bootstrapServers=", "/kafka/bootstrapServers"),
        ("image.repository=", "/image/repository"),
        ("podSecurityContext.runAsNonRoot=false", "/podSecurityContext/runAsNonRoot"),
        (
            "securityContext.allowPrivilegeEscalation=true",
            "/securityContext/allowPrivilegeEscalation",
        ),
        ("topics.partitions=0", "/topics/partitions"),
        ("autoscaling.maxReplicas.agentRunner=0", "/autoscaling/maxReplicas/agentRunner"),
        ("concurrency.agentRunner=0", "/concurrency/agentRunner"),
        ("workspace.persistence.accessModes[0]=ReadWriteSometimes", "/workspace/persistence"),
        ("config.PATH=/evil", "'PATH' does not match pattern"),
        ("tracing.otlpEndpoint=otel:4318", "/tracing/otlpEndpoint"),
        ("replicaCount=3", "replicaCount"),
        ("sandbox.backend=none", "/sandbox/backend"),
        ("sandbox.procMount=Masked", "/sandbox/procMount"),
        ("retention.batch=0", "/retention/batch"),
        ("retention.sessions=-1", "/retention/sessions"),
    ],
)
def test_the_schema_rejects_bad_values(helm: str, setting: str, complaint: str) -> None:
    done = run_helm(helm, *template_args(setting))
    assert done.returncode != 0, f"{setting} was accepted"
    assert "don't meet the specifications of the schema" in done.stderr
    assert complaint in done.stderr


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        (("kafka.securityProtocol=SASL_SSL", "kafka.sasl.username=cts"),
         "kafka.sasl.passwordSecret.name is required"),
        (("secrets.create=true", "secrets.anthropicApiKey=k"), "secrets.mongodbUri is required"),
        (("autoscaling.enabled=true", "autoscaling.minReplicas.gitCommitter=5"),
         "autoscaling.maxReplicas.gitCommitter (4) is below"),
    ],
)  # fmt: skip
def test_inconsistent_values_fail_with_a_reason(
    helm: str, settings: tuple[str, ...], complaint: str
) -> None:
    done = run_helm(helm, *template_args(*settings))
    assert done.returncode != 0
    assert complaint in done.stderr


def test_notes_tell_the_operator_what_to_do_next(render_notes: Callable[..., str]) -> None:
    notes = render_notes()
    assert "kubectl -n cts create secret generic cts-mongodb --from-literal=uri=" in notes
    assert "port-forward svc/rel-cts-orchestrator 8080" in notes
    assert "--set replicas.testRunner=4" in notes
    scaled = render_notes(
        "autoscaling.enabled=true",
        "autoscaling.keda=true",
        "secrets.create=true",
        "secrets.mongodbUri=m",
        "secrets.anthropicApiKey=k",
    )
    assert "KEDA, on consumer lag" in scaled
    assert "create secret" not in scaled


@pytest.fixture
def render_notes(helm: str, tmp_path: Path) -> Callable[..., str]:
    """NOTES.txt as ``helm install`` prints it. ``helm template`` skips it and a client-only
    ``helm install --dry-run`` still wants a cluster, so a copy of the chart renders it into a
    ConfigMap through its template name."""
    chart = tmp_path / "cts"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "zz-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: |\n"
        '{{ include "cts/templates/NOTES.txt" . | indent 4 }}\n'
    )

    def _render(*sets: str) -> str:
        args = template_args(*sets)
        args[2] = str(chart)
        done = run_helm(helm, *args, "--show-only", "templates/zz-notes.yaml")
        assert done.returncode == 0, done.stderr
        notes: str = yaml.safe_load(done.stdout)["data"]["notes"]
        return notes

    return _render


def test_only_the_git_committer_gets_the_git_token_and_only_as_a_file(
    helm: str, render: Render
) -> None:
    manifests = render("git.tokenSecret.name=github-token", "git.tokenHosts={github.com,ghe:8443}")
    for name, deployment in of_kind(manifests, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        env = env_of(spec["containers"][0])
        volumes = {v["name"]: v for v in spec["volumes"]}
        if name != "rel-cts-git-committer":
            assert "git-token" not in volumes, name
            assert not any(key.startswith("CTS_GIT_") for key in env), name
            continue
        assert volumes["git-token"]["secret"]["secretName"] == "github-token"
        assert env["CTS_GIT_HTTPS_TOKEN_FILE"]["value"] == "/etc/cts/git/token"
        assert env["CTS_GIT_HTTPS_TOKEN_HOSTS"]["value"] == "github.com,ghe:8443"
        assert "CTS_GIT_HTTPS_TOKEN" not in env
    without_hosts = run_helm(helm, *template_args("git.tokenSecret.name=github-token"))
    assert "git.tokenHosts must name the hosts" in without_hosts.stderr
