"""The proxy a dependency fetch reaches the network through: HTTP ``CONNECT`` to the allowed
``host:port`` pairs and nothing else.

A fetch's sandbox has no network of its own; ``HTTPS_PROXY`` points git and Hex at a loopback
port forwarded to this proxy's Unix socket. TLS runs end to end through the tunnel (the proxy
sees host names, never content). Plain-HTTP proxying is refused, so ``http://`` sources fail
with a reason instead of leaking around the allow-list. Every request is remembered, so a
failed fetch can say which host it wanted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.dependency_settings import host_port
from cts_test_runner.reach.unix_server import UnixServer, os_reason, splice

log = get_logger(__name__)

HEAD_LIMIT = 8192
HEAD_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Attempt:
    target: str
    """``host:port`` as the client asked for it."""
    allowed: bool
    error: str | None = None
    """Why the proxy could not connect to an allowed host."""


class FetchProxy:
    def __init__(
        self,
        allowed: frozenset[str],
        *,
        resolve: Mapping[str, tuple[str, int]] | None = None,
        connect_timeout_s: float = 20.0,
    ) -> None:
        self._allowed = allowed
        self._resolve = dict(resolve or {})
        self._connect_timeout_s = connect_timeout_s
        self._server = UnixServer(self._handle)
        self.attempts: list[Attempt] = []

    async def start(self, path: Path) -> None:
        await self._server.start(path)

    async def close(self) -> None:
        await self._server.close()

    def refused(self) -> list[str]:
        return sorted({a.target for a in self.attempts if not a.allowed})

    def unreachable(self) -> list[str]:
        return sorted({f"{a.target} ({a.error})" for a in self.attempts if a.error})

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError, TimeoutError):
            return
        method, _, rest = head[:HEAD_LIMIT].decode("latin-1").partition(" ")
        if method != "CONNECT":
            await _answer(writer, 405, "only CONNECT (https) goes through this proxy")
            return
        target = host_port(rest.split(" ", 1)[0])
        if target not in self._allowed:
            self.attempts.append(Attempt(target, allowed=False))
            log.warning("dependency fetch refused a host", host=target)
            await _answer(writer, 403, f"{target} is not an allowed dependency host")
            return
        address, number = self._resolve.get(target, _split(target))
        try:
            upstream = await asyncio.wait_for(
                asyncio.open_connection(address, number), self._connect_timeout_s
            )
        except (OSError, TimeoutError) as exc:
            reason = os_reason(exc)
            self.attempts.append(Attempt(target, allowed=True, error=reason))
            log.warning("dependency host unreachable", host=target, reason=reason)
            await _answer(writer, 502, f"{target}: {reason}")
            return
        self.attempts.append(Attempt(target, allowed=True))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await splice((reader, writer), upstream)


def _split(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


async def _answer(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = f"{text}\n".encode()
    reason = {403: "Forbidden", 405: "Method Not Allowed", 502: "Bad Gateway"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
