"""The dependency fetch's proxy on a real Unix socket: CONNECT to an allowed host tunnels
bytes both ways; anything else is refused, remembered, and never connected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cts_test_runner.reach.fetch_proxy import FetchProxy


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """A TCP server answering every line with the line reversed."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line.rstrip(b"\n")[::-1] + b"\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def _ask(socket: Path, head: str) -> tuple[str, asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(head.encode())
    await writer.drain()
    status = (await reader.readline()).decode()
    while (await reader.readline()).strip():
        pass
    return status, reader, writer


async def test_an_allowed_host_gets_a_tunnel(tmp_path: Path, echo: int) -> None:
    proxy = FetchProxy(frozenset({f"127.0.0.1:{echo}"}))
    await proxy.start(tmp_path / "proxy.sock")
    try:
        status, reader, writer = await _ask(
            tmp_path / "proxy.sock", f"CONNECT 127.0.0.1:{echo} HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        writer.write(b"hello\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    finally:
        await proxy.close()
    assert status.startswith("HTTP/1.1 200")
    assert answer == b"olleh\n"
    assert proxy.refused() == []
    assert proxy.unreachable() == []


async def test_a_pinned_name_connects_where_it_is_pinned(tmp_path: Path, echo: int) -> None:
    proxy = FetchProxy(
        frozenset({"git.cts.test:443"}), resolve={"git.cts.test:443": ("127.0.0.1", echo)}
    )
    await proxy.start(tmp_path / "proxy.sock")
    try:
        status, reader, writer = await _ask(
            tmp_path / "proxy.sock", "CONNECT git.cts.test:443 HTTP/1.1\r\n\r\n"
        )
        writer.write(b"abc\n")
        answer = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    finally:
        await proxy.close()
    assert status.startswith("HTTP/1.1 200")
    assert answer == b"cba\n"


@pytest.mark.parametrize(
    ("head", "status"),
    [
        ("CONNECT elsewhere.test:443 HTTP/1.1\r\n\r\n", "403"),
        ("CONNECT git.cts.test:22 HTTP/1.1\r\n\r\n", "403"),
        ("GET http://git.cts.test/x HTTP/1.1\r\n\r\n", "405"),
    ],
    ids=["another-host", "another-port", "plain-http"],
)
async def test_anything_else_is_refused(tmp_path: Path, head: str, status: str) -> None:
    proxy = FetchProxy(frozenset({"git.cts.test:443"}))
    await proxy.start(tmp_path / "proxy.sock")
    try:
        answer, _, writer = await _ask(tmp_path / "proxy.sock", head)
        writer.close()
    finally:
        await proxy.close()
    assert answer.split()[1] == status
    if status == "403":
        assert proxy.refused() == [head.split()[1]]


async def test_an_allowed_host_that_does_not_answer_is_remembered(tmp_path: Path) -> None:
    closed = ("127.0.0.1", 1)
    proxy = FetchProxy(frozenset({"git.cts.test:443"}), resolve={"git.cts.test:443": closed})
    await proxy.start(tmp_path / "proxy.sock")
    try:
        answer, _, writer = await _ask(
            tmp_path / "proxy.sock", "CONNECT git.cts.test:443 HTTP/1.1\r\n\r\n"
        )
        writer.close()
    finally:
        await proxy.close()
    assert answer.split()[1] == "502"
    assert proxy.unreachable() == ["git.cts.test:443 (Connection refused)"]
