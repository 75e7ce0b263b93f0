"""One trace follows a command through Kafka headers and is exported over OTLP/HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from cts_contracts import Step
from cts_contracts.topics import GIT_STEP_REQUESTED, STEP_COMPLETED, topic
from cts_testing.factories import step_requested
from cts_testing.stack import Endpoints

from .conftest import ProbeFactory

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class OtlpCollector:
    """Just enough of an OpenTelemetry collector: keeps what arrives at ``/v1/traces``."""

    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/traces":
                    collector.exports.append(ExportTraceServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def spans(self) -> list[tuple[str, Span]]:
        """(service.name, span) for every span exported so far."""
        found = []
        for export in list(self.exports):
            for resource_spans in export.resource_spans:
                attributes = {
                    a.key: a.value.string_value for a in resource_spans.resource.attributes
                }
                for scope_spans in resource_spans.scope_spans:
                    found += [(attributes.get("service.name", ""), s) for s in scope_spans.spans]
        return found


@pytest.fixture
def collector() -> Iterator[OtlpCollector]:
    collector = OtlpCollector()
    thread = threading.Thread(target=collector.server.serve_forever, daemon=True)
    thread.start()
    yield collector
    collector.server.shutdown()
    collector.server.server_close()


async def test_a_command_and_its_answer_share_one_trace(
    stack: Endpoints,
    topic_prefix: str,
    probes: ProbeFactory,
    probe_env: dict[str, str],
    collector: OtlpCollector,
) -> None:
    probe = probes.start(
        **probe_env,
        PROBE_MONGO="0",
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    probe.wait_for("/readyz", 200, within=60)
    command = step_requested(Step.INITIALIZE)
    completed_topic = topic(STEP_COMPLETED, topic_prefix)
    consumer = AIOKafkaConsumer(
        completed_topic, bootstrap_servers=stack.kafka_bootstrap_servers,
        auto_offset_reset="earliest", group_id=None,
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers)
    await consumer.start()
    await producer.start()
    try:
        # The caller's trace context travels in the W3C header, as a traced client would send it.
        await producer.send_and_wait(
            topic(GIT_STEP_REQUESTED, topic_prefix),
            command.model_dump_json().encode(),
            key=command.data.session_id.encode(),
            headers=[("traceparent", PARENT.encode())],
        )
        answer = await consumer.getone()
    finally:
        await producer.stop()
        await consumer.stop()

    headers = {name: raw.decode() for name, raw in answer.headers}
    assert headers["traceparent"].split("-")[1] == TRACE_ID

    probe.process.stop()  # flushes the batch processor on the way out
    assert probe.process.wait(1) == 0, probe.process.log_tail()
    ours = [(service, span) for service, span in collector.spans()
            if span.trace_id.hex() == TRACE_ID]  # fmt: skip
    assert ours, f"no span of trace {TRACE_ID} exported; got {len(collector.spans())} spans"
    assert {service for service, _ in ours} == {"cts-probe"}
    kinds = {(span.kind, span.name) for _, span in ours}
    assert (Span.SPAN_KIND_CONSUMER, f"{topic(GIT_STEP_REQUESTED, topic_prefix)} process") in kinds
    assert (Span.SPAN_KIND_PRODUCER, f"{completed_topic} publish") in kinds
