"""Hostile ``SessionRequested`` payloads against the real orchestrator process.

Hypothesis generates broken payloads (wrong types, huge strings, odd unicode, path traversal,
unknown versions, missing and unknown fields, bytes that are not JSON); a 5 MB request and a
5 MB blob are added explicitly. Every one must be dead-lettered with a reason that names what
is wrong, nothing may be stored, and a valid request sent after them on the same partition
must still complete: the consumer kept going.

About 5 MB: the local broker accepts messages up to 8 MB (``message.max.bytes`` in
``stack.sh``, and the services' producers allow 8 MB), so such a message reaches the consumer
and is dead-lettered like any other (its excerpt capped at 64 KB). A producer left at the
client default (1 MB) refuses it before sending (``MessageSizeTooLargeError``), which is the
other acceptable outcome: nothing reaches CTS at all. A broker at Kafka's default limit
(about 1 MB) would refuse it the same way at produce time.
"""

from __future__ import annotations

import copy
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cts_contracts import SessionRequested
from cts_contracts.topics import DEADLETTER, SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED
from cts_contracts.topics import topic as topic_name
from cts_runtime.decoding import TOO_DEEP, BadMessage, decode
from cts_testing.factories import session_requested
from cts_testing.fake_executors import FakeExecutors
from cts_testing.kafka import Collector
from cts_testing.processes import ServiceProcess
from cts_testing.stack import Endpoints
from tests.reliability.conftest import database
from tests.reliability.harness import (
    fresh_topics,
    observer,
    service_env,
    wait_until,
)
from tests.reliability.verdicts import (
    Expected,
    read_session,
    report,
    verify,
)

EXAMPLES = int(os.environ.get("CTS_RELIABILITY_BAD_INPUT_EXAMPLES", "100"))
FIVE_MB = 5 * 1024 * 1024
BASE: dict[str, Any] = json.loads(
    session_requested(account_id="acme", project_id="shop", request_id="base").model_dump_json()
)

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class Case:
    kind: str
    body: bytes
    mention: str | None
    """A word the reason must contain (the field at fault); None: the body is not JSON."""

    def __repr__(self) -> str:
        return f"Case({self.kind}, {self.body[:300]!r}{'…' if len(self.body) > 300 else ''})"


def _set(path: Path_, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _delete(path: Path_) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


def _get(path: Path_) -> Any:
    target: Any = BASE
    for key in path:
        target = target[key]
    return target


def _encode(doc: Any, ascii_only: bool) -> bytes:
    return json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


STRINGS: list[Path_] = [
    ("data", "account_id"),
    ("data", "project_id"),
    ("data", "request_id"),
    ("data", "component", "module_name"),
    ("data", "component", "type"),
    ("data", "component", "test_file"),
    ("data", "repository", "url"),
    ("data", "repository", "base_ref"),
    ("source",),
    ("id",),
]
OBJECTS: list[Path_] = [
    ("data",),
    ("data", "component"),
    ("data", "repository"),
    ("data", "options"),
]
REQUIRED: list[Path_] = [
    ("source",),
    ("data",),
    ("data", "account_id"),
    ("data", "project_id"),
    ("data", "request_id"),
    ("data", "component"),
    ("data", "component", "module_name"),
    ("data", "component", "type"),
    ("data", "repository"),
    ("data", "repository", "url"),
]
CAPS: dict[Path_, int] = {
    ("data", "account_id"): 63,
    ("data", "project_id"): 63,
    ("data", "request_id"): 100,
    ("data", "component", "module_name"): 200,
    ("data", "component", "test_file"): 400,
    ("data", "component", "description"): 4000,
    ("data", "repository", "url"): 2000,
    ("data", "options", "model"): 200,
    ("id",): 100,
    ("source",): 200,
    ("subject",): 100,
}
PATHS: list[Path_] = [
    ("data", "component", name)
    for name in ("source_file", "design_file", "parent_design_file", "test_file", "fixture_file")
]
TRAVERSALS = [
    "../../etc/passwd",
    "/etc/passwd",
    "test/../../../x_test.exs",
    "..",
    "C:/Windows/win.ini",
    "c:\\x",
    "test\\..\\..\\x_test.exs",
    "test/./x_test.exs",
    "test//x_test.exs",
    "test/x\x00.exs",
    "",
    "test/" + "../" * 50 + "x",
    "/",
    "./test/x_test.exs",
]
IDENTIFIERS: list[Path_] = [
    ("data", "account_id"),
    ("data", "project_id"),
    ("data", "request_id"),
    ("data", "component", "module_name"),
    ("data", "component", "type"),
    ("data", "repository", "base_ref"),
]
ODD = [
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u0301",
    "\u0430",
    "\uff41",
    "\U0001f642",
    "\x00",
    "\n",
    "\r",
    "\t",
    " ",
    "\u2028",
    "\u00df",
    "\u0130",
    "\x7f",
    "\u00a0",
]
LONE_SURROGATE = "\ud800"
VERSIONS: list[tuple[Path_, list[Any]]] = [
    (("data", "schema_version"), [0, 2, 99, -1, "2", "1", None, "v1", [1], 1.5]),
    (("specversion",), ["0.3", "2.0", "1", 1, None, ""]),
    (
        ("type",),
        [
            "dev.cts.session.requested.v2",
            "dev.cts.session.requested",
            "dev.cts.step.completed.v1",
            "",
            None,
        ],
    ),
]
NOT_JSON = [
    b"\xff\xfe\x00",
    b"{",
    b"}",
    b"\x00" * 32,
    b"NaN",
    b"{'single': 'quotes'}",
    b'{"a": NaN}',
    b"\xef\xbb\xbf" + json.dumps(BASE).encode(),
    json.dumps(BASE).encode() + b"x",
    json.dumps(BASE).encode().replace(b'"acme"', b'"ac\xffme"'),
    b"",
    b"   ",
    b"<xml/>",
    b"\x1f\x8b\x08\x00",  # a gzip header
]

wrong_scalar = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
wrong_object = st.one_of(
    st.integers(),
    st.text(max_size=10),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


@st.composite
def wrong_type(draw: st.DrawFn) -> Case:
    which = draw(st.sampled_from(["string", "object", "push", "fix", "expect"]))
    if which == "string":
        path = draw(st.sampled_from(STRINGS))
        value = draw(wrong_scalar.filter(lambda v: not isinstance(v, str)))
    elif which == "object":
        path = draw(st.sampled_from(OBJECTS))
        value = draw(wrong_object)
    elif which == "push":
        path = ("data", "repository", "push")
        value = draw(
            st.one_of(
                st.lists(st.integers(), min_size=1, max_size=3),
                st.text(alphabet="xyzq", min_size=1, max_size=5),
                st.floats(0.1, 0.9),
            )
        )
    elif which == "fix":
        path = ("data", "options", "max_fix_attempts")
        value = draw(
            st.one_of(
                st.integers(11, 10**20),
                st.integers(max_value=-1),
                st.floats(0.1, 9.9).filter(lambda f: not f.is_integer()),
                st.text(alphabet="abc", min_size=1, max_size=5),
            )
        )
    else:
        path = ("data", "options", "expect")
        value = draw(st.text(max_size=10).filter(lambda s: s not in ("red", "green", "none")))
    return Case(f"wrong type {'.'.join(path)}", _encode(_set(path, value), True), path[-1])


@st.composite
def huge_string(draw: st.DrawFn) -> Case:
    path = draw(st.sampled_from(sorted(CAPS)))
    size = draw(st.integers(CAPS[path] + 1, 100_000))
    char = draw(st.sampled_from(["a", "\u00e9", "\U0001d54f", "\u202e", "0"]))
    doc = _set(path, char * size)
    return Case(f"huge {'.'.join(path)} ({size})", _encode(doc, draw(st.booleans())), path[-1])


@st.composite
def odd_unicode(draw: st.DrawFn) -> Case:
    path = draw(st.sampled_from(IDENTIFIERS))
    original = str(_get(path))
    odd = draw(st.lists(st.sampled_from([*ODD, LONE_SURROGATE]), min_size=1, max_size=3))
    at = draw(st.integers(0, len(original)))
    value = original[:at] + "".join(odd) + original[at:]
    doc = _set(path, value)
    mention = None if LONE_SURROGATE in odd else path[-1]
    return Case(f"odd unicode {'.'.join(path)}", _encode(doc, draw(st.booleans())), mention)


@st.composite
def path_traversal(draw: st.DrawFn) -> Case:
    path = draw(st.sampled_from(PATHS))
    value = draw(st.sampled_from(TRAVERSALS))
    return Case(f"path {'.'.join(path)}={value[:30]!r}", _encode(_set(path, value), True), path[-1])


@st.composite
def unknown_version(draw: st.DrawFn) -> Case:
    path, values = draw(st.sampled_from(VERSIONS))
    value = draw(st.sampled_from(values))
    return Case(f"version {'.'.join(path)}={value!r}", _encode(_set(path, value), True), path[-1])


@st.composite
def missing_field(draw: st.DrawFn) -> Case:
    path = draw(st.sampled_from(REQUIRED))
    return Case(f"missing {'.'.join(path)}", _encode(_delete(path), True), path[-1])


@st.composite
def unknown_field(draw: st.DrawFn) -> Case:
    where = draw(
        st.sampled_from(
            [(), ("data",), ("data", "component"), ("data", "repository"), ("data", "options")]
        )
    )
    holder = _get(where) if where else BASE
    name = draw(
        st.one_of(
            st.sampled_from(["$where", "__proto__", "constructor", "a.b", "x"]),
            st.text(min_size=1, max_size=12),
        ).filter(lambda n: n not in holder)
    )
    doc = _set((*where, name), draw(st.one_of(st.integers(), st.text(max_size=5), st.none())))
    return Case(f"unknown field {name!r}", _encode(doc, True), "Extra inputs are not permitted")


@st.composite
def not_json(draw: st.DrawFn) -> Case:
    body = draw(
        st.one_of(
            st.sampled_from(NOT_JSON),
            st.binary(min_size=1, max_size=2000),
            st.integers(1, len(json.dumps(BASE)) - 1).map(lambda n: json.dumps(BASE).encode()[:n]),
        )
    )
    return Case("not JSON", body, None)


bad_payloads = st.one_of(
    wrong_type(),
    huge_string(),
    odd_unicode(),
    path_traversal(),
    unknown_version(),
    missing_field(),
    unknown_field(),
    not_json(),
)


def generate(count: int) -> tuple[list[Case], int]:
    """Hypothesis-generated cases; also how many it produced that the contract accepted (the
    strategies aim at invalid input only, so these are counted, not sent)."""
    cases: list[Case] = []
    accepted = [0]

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(bad_payloads)
    def collect(case: Case) -> None:
        try:
            decode(SessionRequested, case.body)
        except BadMessage:
            cases.append(case)
        else:
            accepted[0] += 1

    collect()
    return cases, accepted[0]


NESTED_TOO_DEEP = "JSON nested 200,000 deep"


def explicit_cases() -> list[Case]:
    huge_request = _set(("data", "component", "description"), "x" * FIVE_MB)
    return [
        Case("5 MB request", _encode(huge_request, True), "description"),
        Case("5 MB of bytes", os.urandom(FIVE_MB), None),
        Case("non-JSON bytes", b"\x80\x81\x82 definitely not json \xff", None),
        Case("empty", b"", None),
        Case(NESTED_TOO_DEEP, b"[" * 200_000 + b"]" * 200_000, None),
    ]


def reason_is_clear(case: Case, reason: str) -> bool:
    if len(reason) > 2000 or not reason.strip():
        return False
    if case.kind == NESTED_TOO_DEEP:  # valid JSON, but deeper than the decoder goes
        return reason == TOO_DEEP
    if case.mention is None:  # not JSON, or JSON of no recognisable shape
        return reason in ("not valid JSON", "empty message") or reason.startswith(
            "schema-invalid SessionRequested: "
        )
    return reason.startswith("schema-invalid SessionRequested: ") and case.mention in reason


@pytest.fixture
async def prefix(stack: Endpoints) -> AsyncIterator[str]:
    async with fresh_topics(stack, "bad", partitions=3) as name:
        yield name


async def test_bad_session_requests_are_dead_lettered_and_the_consumer_keeps_going(
    stack: Endpoints, prefix: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    cases, accepted = generate(EXAMPLES)
    assert len(cases) >= EXAMPLES * 0.5, f"only {len(cases)} invalid cases ({accepted} valid)"
    cases += explicit_cases()
    env = service_env(stack, prefix)
    orchestrator = ServiceProcess("cts_orchestrator", env, tmp_path / "orchestrator.log").start()
    requests_topic = topic_name(SESSION_REQUESTED, prefix)
    valid = session_requested(account_id="acme", project_id="shop", request_id="after-the-storm")
    key = valid.data.session_id.encode()  # one partition: the valid request comes last
    try:
        async with (
            observer(stack, prefix) as events,
            database(stack, env["CTS_MONGODB_DATABASE"]) as db,
        ):
            client = stack.kafka_options("client")
            small = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers, **client)
            big = AIOKafkaProducer(
                bootstrap_servers=stack.kafka_bootstrap_servers,
                max_request_size=8 * 1024 * 1024,
                enable_idempotence=True,
                **client,
            )
            await small.start()
            await big.start()
            try:
                blob = next(c for c in cases if c.kind == "5 MB of bytes")
                with pytest.raises(MessageSizeTooLargeError):  # the client default refuses it
                    await small.send_and_wait(requests_topic, blob.body, key=key)
                sent: dict[tuple[str, int, int], Case] = {}
                for case in cases:
                    meta = await big.send_and_wait(requests_topic, case.body, key=key)
                    sent[(requests_topic, meta.partition, meta.offset)] = case

                def letters(on: str) -> dict[tuple[str, int, int], dict[str, Any]]:
                    return {
                        (v["topic"], v["partition"], v["offset"]): v
                        for t, v in events.events
                        if t.endswith(DEADLETTER) and v["topic"] == on
                    }

                await wait_until(
                    lambda: len(letters(requests_topic)) >= len(sent),
                    within=120,
                    what=f"{len(sent)} dead letters",
                )
                assert await db["sessions"].count_documents({}) == 0, "nothing stored"
                # Same partition, after all of them: proof the consumer kept going.
                await big.send_and_wait(requests_topic, valid.model_dump_json().encode(), key=key)
            finally:
                await small.stop()
                await big.stop()
            async with FakeExecutors(
                stack.kafka_bootstrap_servers,
                topic_prefix=prefix,
                group_prefix=env["CTS_GROUP_PREFIX"],
                kafka=stack.kafka_fields(),
            ):
                await events.wait_for(
                    lambda e: any(t.endswith(SESSION_FINISHED) for t, _ in e), within=120
                )
            verdicts = await verify(db, events, {valid.data.session_id: Expected()})
            refused = await _bad_results(stack, prefix, events, db, valid.data.session_id)
            stored = await db["sessions"].find({}, {"_id": 1}).to_list()
    finally:
        orchestrator.stop()
    got = letters(requests_topic)
    assert set(got) == set(sent), "every bad message dead-lettered, nothing else"
    unclear = []
    for where, case in sent.items():
        letter = got[where]
        if letter["consumer"] != "orchestrator" or letter["topic"] != requests_topic:
            unclear.append(f"{case}: {letter['consumer']} {letter['topic']}")
        if not reason_is_clear(case, letter["reason"]):
            unclear.append(f"{case}: unclear reason {letter['reason'][:300]!r}")
        if letter["payload_size"] != len(case.body) or (
            letter["truncated"] != (len(case.body) > 64 * 1024)
        ):
            unclear.append(f"{case}: excerpt {letter['payload_size']} {letter['truncated']}")
    assert not unclear, "\n".join(unclear)
    assert [d["_id"] for d in stored] == [valid.data.session_id]
    kinds = Counter(case.kind.split(" ")[0] for case in cases)
    report(
        "bad SessionRequested (hypothesis + 5 MB + non-JSON)",
        verdicts,
        started,
        dead_lettered=len(got),
        generated_but_valid=accepted,
        bad_results_dead_lettered=refused,
        kinds=dict(kinds),
    )


async def _bad_results(
    stack: Endpoints, prefix: str, events: Collector, db: Any, session_id: str
) -> int:
    """Broken and misdirected ``StepCompleted`` on the orchestrator's other consumer: each is
    dead-lettered with its reason and the session does not change."""
    results = topic_name(STEP_COMPLETED, prefix)
    [answer, *_] = [v for t, v in events.events if t == results]
    before = (await read_session(db, session_id), await db["session_versions"].count_documents({}))

    def variant(**data: Any) -> bytes:
        return json.dumps({**answer, "data": {**answer["data"], **data}}).encode()

    bad = {
        b"\xff{": "not valid JSON",
        variant(status="maybe"): "schema-invalid StepCompleted: data.status",
        variant(session_id=str(uuid.uuid4())): "unknown session",
        variant(interaction_id=f"{session_id}.999"): "has no interaction",
    }
    producer = AIOKafkaProducer(  # as a (misbehaving) executor may
        bootstrap_servers=stack.kafka_bootstrap_servers, **stack.kafka_options("agent-runner")
    )
    await producer.start()
    try:
        for body in bad:
            await producer.send_and_wait(results, body, key=session_id.encode())
    finally:
        await producer.stop()

    def letters() -> list[dict[str, Any]]:
        return [v for t, v in events.events if t.endswith(DEADLETTER) and v["topic"] == results]

    await wait_until(lambda: len(letters()) >= len(bad), within=60, what="bad results refused")
    reasons = [letter["reason"] for letter in letters()]
    for expected in bad.values():
        assert any(expected in reason for reason in reasons), (expected, reasons)
    after = (await read_session(db, session_id), await db["session_versions"].count_documents({}))
    assert after == before, "the session did not change"
    return len(reasons)
