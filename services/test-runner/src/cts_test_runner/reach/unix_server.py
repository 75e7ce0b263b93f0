"""A Unix-socket server that lives as long as one run, and the byte splice both ends use.

The socket is bound into that run's sandbox only (``Forward``), so nothing else can connect;
it is world-writable because the sandbox's user is not the service's. Closing the server
ends every connection it still carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

CHUNK = 64 * 1024

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class UnixServer:
    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, path: Path) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path=str(path))
        os.chmod(path, 0o666)  # noqa: S103 - reachable only from the one sandbox it is bound into

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the other end went away: nothing to report beyond what the handler noted
        finally:
            self._tasks.discard(task)
            await close_quietly(writer)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()


async def splice(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Carry bytes both ways until both sides have finished sending."""
    try:
        await asyncio.gather(_pump(client[0], upstream[1]), _pump(upstream[0], client[1]))
    finally:
        await close_quietly(upstream[1])


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        if writer.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                writer.write_eof()


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, RuntimeError):
        await writer.wait_closed()


def os_reason(exc: BaseException) -> str:
    """A connection failure in a few words ("Connection refused", "timed out")."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    number = getattr(exc, "errno", None)
    if isinstance(number, int):
        return os.strerror(number)
    return getattr(exc, "strerror", None) or type(exc).__name__
