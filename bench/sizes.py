"""The floor's padding: its messages and documents are as large as CTS's, so the comparison
is of work, not of bytes."""

from __future__ import annotations

import uuid

import bson

from bench import floor
from cts_store.documents import to_document
from cts_testing import session_builders
from cts_testing.answers import sample_data
from cts_testing.factories import session_requested

ACCOUNT, PROJECT = "acme", "shop"


def _cts_sizes() -> tuple[int, int, int]:
    """(finished session document, a command, a request) of a happy-path CTS session, in bytes,
    computed with the real pure transitions: what the floor must match byte for byte."""
    session = session_builders.start()
    command = len(session.outbox[0].payload)
    while session.in_flight is not None:
        session = session_builders.answer(session, data=sample_data(session.in_flight.step))
    finished = session.model_copy(update={"outbox": [], "outbox_since": None})
    request = len(session_requested().model_dump_json())
    return len(bson.encode(to_document(finished))), command, request


CTS_DOC_BYTES, CTS_COMMAND_BYTES, CTS_REQUEST_BYTES = _cts_sizes()
_BARE_COMMAND = len(
    floor.next_message(
        {"session_id": str(uuid.uuid4()), "account_id": ACCOUNT, "project_id": PROJECT},
        1,
        prefix="",
        pad="",
    )[1]
)
FLOOR_COMMAND_PAD = max(0, CTS_COMMAND_BYTES - _BARE_COMMAND)
FLOOR_REQUEST_PAD = max(0, CTS_REQUEST_BYTES - 200)
FLOOR_DOC_PAD = max(0, CTS_DOC_BYTES - 150)
