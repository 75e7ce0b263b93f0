"""``CTS_`` variables read by scripts rather than by settings classes.

``tools.config_reference`` lists them after the services' settings and checks that each
file named here still reads the variable with the default given (so this list cannot rot).
"""

from __future__ import annotations

from dataclasses import dataclass

STACK_SH = "deploy/local/stack.sh"
STACK = "The local stack and tooling (not read by the services)"
INTERNAL = "Set by CTS for the processes it starts (not settings)"


@dataclass(frozen=True)
class ScriptVariable:
    name: str
    default: str  # "–": none
    meaning: str
    file: str
    group: str = STACK


SCRIPT_VARIABLES = [
    ScriptVariable("CTS_KAFKA_PORT", "9092", "Port of the local Kafka broker", STACK_SH),
    ScriptVariable(
        "CTS_KAFKA_CONTROLLER_PORT",
        "9093",
        "Port of the local Kafka's KRaft controller",
        STACK_SH,
    ),
    ScriptVariable("CTS_MONGO_PORT", "27017", "Port of the local FerretDB", STACK_SH),
    ScriptVariable(
        "CTS_POSTGRES_PORT",
        "55432",
        "Port of the local PostgreSQL (the runs' databases; its admin URL is written to "
        "<stack dir>/postgres/admin-url)",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_POSTGRES_BIN",
        "–",
        "Where PostgreSQL's server programs are (default: the newest /usr/lib/postgresql/*/bin)",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_STACK_SERVERS",
        "kafka ferretdb postgres",
        "Which servers `make up`, `make down` and `make status` handle",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_CACHE_DIR",
        "$repo/.cache",
        "Where the Kafka jars, FerretDB and the stack's state live",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_STACK_DIR",
        "$cache/stack",
        "Pid files and logs of the local stack",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_STACK_TIMEOUT",
        "90",
        "Seconds `make up` waits for the servers to answer",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_KAFKA_AUTH",
        "none",
        "`scram`: the local Kafka requires SASL/SCRAM and enforces the ACLs (`make up "
        "KAFKA_AUTH=scram`); each principal's settings in `$stack_dir/kafka-auth/<name>.env`",
        "deploy/local/kafka_auth.sh",
    ),
    ScriptVariable(
        "CTS_TEST_KAFKA_AUTH",
        "none",
        "`scram`: tests run on a private stack whose Kafka requires SASL/SCRAM and enforces "
        "the ACLs, each service as its own principal (`make test-reliability-auth`)",
        "libs/cts-testing/src/cts_testing/stack.py",
    ),
    ScriptVariable(
        "CTS_PYTHON",
        "$repo/.venv/bin/python",
        "The interpreter the stack script checks with",
        STACK_SH,
    ),
    ScriptVariable(
        "CTS_TOPIC_PARTITIONS", "6", "Partitions per topic created by `make topics`", "Makefile"
    ),
    ScriptVariable(
        "CTS_HELM_VERSION", "v3.22.0", "The helm the chart tests download", "deploy/local/helm.sh"
    ),
    ScriptVariable(
        "CTS_COMPOSE_POSTGRES_PASSWORD",
        "cts-local-only",
        "The password of Docker Compose's PostgreSQL (the test-runner's runs' databases)",
        "docker-compose.yml",
    ),
    ScriptVariable(
        "CTS_IMAGE_TAG",
        "local",
        "Tag of the images `docker compose` builds and runs",
        "docker-compose.yml",
    ),
    ScriptVariable(
        "CTS_RUN_ID",
        "–",
        "Marks every process of one test run, so all of them are found and killed",
        "services/test-runner/src/cts_test_runner/process.py",
        INTERNAL,
    ),
    ScriptVariable(
        "CTS_EXUNIT_REPORT_FD",
        "–",
        "The descriptor of the pipe the ExUnit formatter writes its report to",
        "services/test-runner/src/cts_test_runner/runners/exunit.py",
        INTERNAL,
    ),
    ScriptVariable(
        "CTS_GIT_ASKPASS_USERNAME",
        "–",
        "The https username handed to git's askpass helper",
        "services/git-committer/src/cts_git_committer/git_env.py",
        INTERNAL,
    ),
    ScriptVariable(
        "CTS_GIT_ASKPASS_PASSWORD",
        "–",
        "The https token handed to git's askpass helper (only for the allowed hosts)",
        "services/git-committer/src/cts_git_committer/git_env.py",
        INTERNAL,
    ),
    ScriptVariable(
        "CTS_DEMO_ANNOUNCED",
        "–",
        "`make demo` already said which model answers",
        "libs/cts-demo/src/cts_demo/run.py",
        INTERNAL,
    ),
]
