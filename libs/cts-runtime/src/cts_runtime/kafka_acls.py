"""Who may say what on the bus: one Kafka principal per service and one for clients, and the
ACLs each one gets. The one list the local stack applies (``python -m cts_runtime.kafka_acls
apply``), the chart renders as Strimzi ``KafkaUser`` resources and docs/deploy.md shows.

- a client writes only ``session.requested`` and reads ``step.completed`` and
  ``session.finished`` (``cts follow``; it uses no consumer group);
- an executor reads only its command topic (the step registry says which) and writes
  ``step.completed``; the git-committer also reads ``session.finished`` (its workspace
  cleanup);
- only the orchestrator writes commands and ``session.finished``;
- every service's consumers may write ``deadletter``, and use only the consumer groups named
  after the service (``<group prefix>-<service>...``).

Read and Write imply Describe in Kafka's authorizer; it is listed anyway, as Strimzi's
examples do. Idempotent producers need no cluster grant since Kafka 3.0 (Write implies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cts_contracts import Executor
from cts_contracts import topics as t
from cts_core.steps import command_topic

Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefixed"]
Operation = Literal["Read", "Write", "Describe"]

SERVICES: dict[str, Executor | None] = {
    "orchestrator": None,
    "git-committer": Executor.GIT,
    "agent-runner": Executor.AGENT,
    "test-runner": Executor.TESTS,
}
"""Each service's principal (its ``CTS_SERVICE_NAME``) and the executor kind it runs."""
CLIENT = "client"
PRINCIPALS = (*SERVICES, CLIENT)

READ: tuple[Operation, ...] = ("Read", "Describe")
WRITE: tuple[Operation, ...] = ("Write", "Describe")


@dataclass(frozen=True)
class Grant:
    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operations: tuple[Operation, ...]


def grants(topic_prefix: str = "", group_prefix: str = "cts") -> list[Grant]:
    """Every ACL of every principal, for topics under ``topic_prefix`` and consumer groups
    under ``group_prefix`` (``CTS_TOPIC_PREFIX``, ``CTS_GROUP_PREFIX``)."""

    def topics(principal: str, operations: tuple[Operation, ...], *names: str) -> list[Grant]:
        return [Grant(principal, "topic", f"{topic_prefix}{n}", "literal", operations)
                for n in names]  # fmt: skip

    out = topics(CLIENT, WRITE, t.SESSION_REQUESTED)
    out += topics(CLIENT, READ, t.STEP_COMPLETED, t.SESSION_FINISHED)
    commands = [command_topic(executor) for executor in Executor]
    out += topics("orchestrator", READ, t.SESSION_REQUESTED, t.STEP_COMPLETED)
    out += topics("orchestrator", WRITE, *commands, t.SESSION_FINISHED, t.DEADLETTER)
    for service, executor in SERVICES.items():
        if executor is not None:
            out += topics(service, READ, command_topic(executor))
            if executor is Executor.GIT:
                out += topics(service, READ, t.SESSION_FINISHED)
            out += topics(service, WRITE, t.STEP_COMPLETED, t.DEADLETTER)
        out.append(Grant(service, "group", f"{group_prefix}-{service}", "prefixed", ("Read",)))
    return out


def markdown_table(topic_prefix: str = "", group_prefix: str = "cts") -> str:
    """The list as docs/deploy.md shows it (a test keeps the two equal)."""
    rows = [
        "| principal | resource | name | pattern | operations |",
        "| --- | --- | --- | --- | --- |",
    ]
    for g in grants(topic_prefix, group_prefix):
        rows.append(f"| `{g.principal}` | {g.resource} | `{g.name}` | {g.pattern} | "
                    f"{', '.join(g.operations)} |")  # fmt: skip
    return "\n".join(rows)


STRIMZI_PATTERNS = {"literal": "literal", "prefixed": "prefix"}
CHART_FILE_HEADER = """\
# Generated from cts_runtime/kafka_acls.py (python -m cts_runtime.kafka_acls chart); a test
# keeps it current. Each principal's Strimzi ACL rules; templates/kafkausers.yaml prepends
# kafka.topicPrefix to topic names and kafka.groupPrefix to group names.
"""


def chart_file() -> str:
    """The list as the chart reads it (``deploy/helm/cts/kafka-acls.yaml``): Strimzi
    ``AclRule`` entries per principal, names without the installation's prefixes."""
    lines = [CHART_FILE_HEADER.rstrip("\n")]
    for principal in PRINCIPALS:
        lines.append(f"{principal}:")
        for g in (g for g in grants("", "") if g.principal == principal):
            pattern, operations = STRIMZI_PATTERNS[g.pattern], ", ".join(g.operations)
            lines.append(f"  - {{type: {g.resource}, name: {g.name!r}, patternType: {pattern}, "
                         f"operations: [{operations}]}}")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    """``apply``: the ACLs for ``CTS_TOPIC_PREFIX``/``CTS_GROUP_PREFIX``, with the
    ``CTS_KAFKA_*`` credentials of a super user; ``table``: print them as Markdown; ``chart``:
    print the chart's copy."""
    import argparse  # noqa: PLC0415
    import asyncio  # noqa: PLC0415

    from cts_runtime.kafka_acl_admin import apply_grants  # noqa: PLC0415
    from cts_runtime.kafka_security import client_security  # noqa: PLC0415
    from cts_runtime.settings import KafkaSettings  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("apply", "table", "chart"))
    args = parser.parse_args()
    settings = KafkaSettings()
    if args.command == "chart":
        print(chart_file(), end="")
        return 0
    if args.command == "table":
        print(markdown_table(settings.topic_prefix, settings.group_prefix))
        return 0
    wanted = grants(settings.topic_prefix, settings.group_prefix)
    count = asyncio.run(apply_grants(settings.kafka_bootstrap_servers, wanted,
                                     client_security(settings)))  # fmt: skip
    print(f"applied {count} ACLs for {len(PRINCIPALS)} principals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
