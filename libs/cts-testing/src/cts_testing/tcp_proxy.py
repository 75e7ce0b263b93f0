"""A TCP proxy in front of a real server, for tests that need to see or spoil the wire: it
counts the connections open at once, and after ``stall()`` swallows every reply."""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.stalled = False
        self.open = 0
        self.most = 0
        """The most connections open at once."""
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def stall(self) -> None:
        self.stalled = True

    async def close(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self._target)
        self.open += 1
        self.most = max(self.most, self.open)
        pipes = [
            asyncio.create_task(self._pipe(client_r, server_w, replies=False)),
            asyncio.create_task(self._pipe(server_r, client_w, replies=True)),
        ]
        self._tasks.update(pipes)
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.open -= 1

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if replies and self.stalled:
                    continue
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()
