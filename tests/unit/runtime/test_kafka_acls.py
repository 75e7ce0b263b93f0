"""The one ACL list: what each principal may do is what its role needs, nothing more."""

from __future__ import annotations

from cts_contracts import Executor
from cts_contracts import topics as t
from cts_core import command_topic
from cts_runtime.kafka_acls import PRINCIPALS, SERVICES, grants

COMMANDS = {command_topic(e) for e in Executor}


def _topics(principal: str, operation: str, prefix: str = "") -> set[str]:
    return {
        g.name.removeprefix(prefix)
        for g in grants(prefix, "grp")
        if g.principal == principal and g.resource == "topic" and operation in g.operations
    }


def test_a_client_requests_and_follows_and_nothing_else() -> None:
    assert _topics("client", "Write") == {t.SESSION_REQUESTED}
    assert _topics("client", "Read") == {t.STEP_COMPLETED, t.SESSION_FINISHED}
    assert not [g for g in grants() if g.principal == "client" and g.resource == "group"]


def test_only_the_orchestrator_writes_commands_and_finishes() -> None:
    for principal in PRINCIPALS:
        written = _topics(principal, "Write")
        if principal == "orchestrator":
            assert COMMANDS | {t.SESSION_FINISHED} <= written
        else:
            assert not written & (COMMANDS | {t.SESSION_FINISHED}), principal


def test_an_executor_reads_its_command_topic_and_writes_results() -> None:
    for service, executor in SERVICES.items():
        if executor is None:
            continue
        reads = _topics(service, "Read", prefix="eu.")
        assert reads & COMMANDS == {command_topic(executor)}, service
        assert _topics(service, "Write", prefix="eu.") == {t.STEP_COMPLETED, t.DEADLETTER}


def test_topics_and_groups_carry_the_installations_prefixes() -> None:
    for g in grants("eu.", "cts-eu"):
        if g.resource == "topic":
            assert g.name.startswith("eu.")
            assert g.pattern == "literal"
        else:
            assert g.name == f"cts-eu-{g.principal}"
            assert g.pattern == "prefixed"
            assert g.operations == ("Read",)
