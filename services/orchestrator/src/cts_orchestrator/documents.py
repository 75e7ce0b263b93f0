"""The loop that writes the session documents ``WriteBehind`` holds back."""

from __future__ import annotations

import asyncio

from cts_runtime.logs import get_logger
from cts_store import WriteBehind

log = get_logger(__name__)

MAX_BACKOFF_S = 30.0


async def write_documents_forever(documents: WriteBehind) -> None:
    """Every ``delay_s``, write what is pending; while the database refuses, wait longer
    between tries (the documents stay pending, the claims already hold every version)."""
    if documents.delay_s == 0:
        return  # every version is written at once: nothing ever waits
    wait = documents.delay_s
    while True:
        await asyncio.sleep(wait)
        try:
            await documents.flush()
        except Exception as exc:
            wait = min(wait * 2, MAX_BACKOFF_S)
            log.warning(
                "could not write session documents; will retry",
                pending=documents.pending,
                retry_in_s=wait,
                error=type(exc).__name__,
            )
        else:
            wait = documents.delay_s
