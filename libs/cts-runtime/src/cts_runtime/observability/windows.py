"""How full each subscription's window is, read when Prometheus scrapes: FastStream's own
handler metrics time only the hand-over to the window, not the handling."""

from __future__ import annotations

from collections.abc import Iterator

from faststream.kafka import KafkaBroker
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from cts_runtime.subscribe import windows


class WindowCollector(Collector):
    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_flight = GaugeMetricFamily(
            "cts_messages_in_flight",
            "Messages a subscription holds: running, or waiting behind one of their session",
            labels=["subscription"],
        )
        limit = GaugeMetricFamily(
            "cts_messages_in_flight_limit",
            "The most a subscription holds at once (CTS_MAX_IN_FLIGHT); at it, reading pauses",
            labels=["subscription"],
        )
        for window in windows(self._broker):
            in_flight.add_metric([window.name], window.in_flight)
            limit.add_metric([window.name], window.limit)
        yield in_flight
        yield limit
