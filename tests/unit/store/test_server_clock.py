"""The server's time carried forward on the monotonic clock: what a reading counts from, when
it is read again, and what a failed re-read leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cts_store import ServerClock

SERVER = datetime(2026, 12, 6, 1, 0, 0)  # hello's localTime: naive, in UTC


class Ticks:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


class Server:
    """``hello`` answering with a local time; each call lasts ``round_trip_s`` of ``ticks``."""

    def __init__(self, ticks: Ticks, round_trip_s: float = 0.2) -> None:
        self.ticks, self.round_trip_s = ticks, round_trip_s
        self.time = SERVER
        self.calls = 0
        self.down = False

    async def command(self, name: str) -> dict[str, Any]:
        assert name == "hello"
        self.calls += 1
        if self.down:
            raise ConnectionError("no server")
        self.ticks.at += self.round_trip_s / 2
        answer = {"localTime": self.time, "ok": 1.0}
        self.ticks.at += self.round_trip_s / 2
        return answer


def clock(server: Server, resync_s: float = 30) -> ServerClock:
    return ServerClock(server, resync_s=resync_s, monotonic=server.ticks)  # type: ignore[arg-type]


async def test_a_reading_counts_from_the_middle_of_its_round_trip() -> None:
    ticks = Ticks()
    server = Server(ticks, round_trip_s=0.2)
    times = clock(server)
    read = await times.sync()
    assert read == SERVER.replace(tzinfo=UTC) + timedelta(seconds=0.1)
    assert times.round_trip_s == pytest.approx(0.2)


async def test_time_goes_on_with_the_monotonic_clock_not_the_wall_clock() -> None:
    ticks = Ticks()
    server = Server(ticks, round_trip_s=0)
    times = clock(server)
    await times.sync()
    ticks.at += 12.5
    assert times.now() == SERVER.replace(tzinfo=UTC) + timedelta(seconds=12.5)
    assert server.calls == 1


async def test_read_asks_the_server_again_only_once_the_reading_is_old() -> None:
    ticks = Ticks()
    server = Server(ticks, round_trip_s=0)
    times = clock(server, resync_s=30)
    await times.read()
    ticks.at += 29
    await times.read()
    assert server.calls == 1
    server.time = SERVER + timedelta(seconds=40)  # the server's clock moved on its own
    ticks.at += 1
    assert await times.read() == SERVER.replace(tzinfo=UTC) + timedelta(seconds=40)
    assert server.calls == 2


async def test_a_failed_re_read_keeps_the_last_reading() -> None:
    ticks = Ticks()
    server = Server(ticks, round_trip_s=0)
    times = clock(server, resync_s=30)
    await times.read()
    server.down = True
    ticks.at += 60
    assert await times.read() == SERVER.replace(tzinfo=UTC) + timedelta(seconds=60)


async def test_no_time_before_the_first_reading() -> None:
    times = clock(Server(Ticks()))
    with pytest.raises(RuntimeError, match="first sync"):
        times.now()
    server = Server(Ticks())
    server.down = True
    with pytest.raises(ConnectionError):
        await clock(server).read()
