"""Compare-and-set without a compound filter: each version of a session is claimed by inserting
``<session id>#<version>`` into ``session_versions``, then written to the session document by
``_id`` alone.

Why not ``update_one({"_id": id, "version": v}, ...)``: FerretDB v1 hands only a lone ``_id``
filter to its storage; any other filter makes it decode every document of the collection, so
each write would cost time proportional to every session ever stored. A unique ``_id`` insert
is atomic on FerretDB and MongoDB alike, and so is the claim (each document of an
``insert_many`` on its own: concurrent claims go in together, grouped_writes.py).

The claim also holds the change it stands for. A writer that dies between its claim and its
write, or whose write arrives late and puts an older change back, leaves the document behind
its log; a reader applies the claimed changes that follow the document's version in memory
(it never writes), so what it returns is always the last claimed version. Claims are never
removed: a late write can arrive at any time and needs the later changes to be undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from cts_store.collections import SESSION_VERSIONS
from cts_store.grouped_writes import GroupedWrites

Document = dict[str, Any]

MAX_ROLL_FORWARD = 10_000
"""A guard, not a limit anyone meets: a session has a few dozen versions."""


def version_id(session_id: str, version: int) -> str:
    return f"{session_id}#{version}"


def stored_change(change: Document) -> list[Document]:
    """A ``$set`` as it is kept in a claim: dotted paths (``interactions.3``) cannot be keys of
    a stored document, and FerretDB v1 stores no arrays of arrays, so a list of
    ``{path, value}`` in order."""
    return [{"path": path, "value": value} for path, value in change.items()]


def apply_change(doc: Document, change: Sequence[Document]) -> None:
    """What ``$set`` with these paths does to ``doc``, done in memory."""
    for item in change:
        path, value = item["path"], item["value"]
        *parents, last = str(path).split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            index = int(last)
            if index < len(target):
                target[index] = value
            elif index == len(target):
                target.append(value)
            else:
                raise ValueError(f"change {path!r} skips elements of a {len(target)}-item list")
        else:
            target[last] = value


class VersionLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._versions: AsyncCollection[Document] = database[SESSION_VERSIONS]
        self._claims = GroupedWrites(self._versions)

    async def claim(self, session_id: str, version: int, change: Document) -> bool:
        """Take ``version`` for this change; ``False`` when another writer took it first."""
        entry = {
            "_id": version_id(session_id, version),
            "set": stored_change(change),
            "claimed_at": datetime.now(UTC),
        }
        # Claims of concurrent transitions share one insert (grouped_writes.py).
        return await self._claims.insert(entry)

    async def is_claimed(self, session_id: str, version: int) -> bool:
        return await self._versions.find_one({"_id": version_id(session_id, version)}) is not None

    async def catch_up(self, doc: Document) -> tuple[Document, int]:
        """``doc`` with every claimed change after its version applied, in memory, and how
        many there were (a document that trails its claims needs a write from its writer)."""
        for applied in range(MAX_ROLL_FORWARD):
            following = version_id(doc["_id"], doc["version"] + 1)
            entry = await self._versions.find_one({"_id": following})
            if entry is None:
                return doc, applied
            change = entry["set"]
            if not any(item["path"] == "version" for item in change):
                raise ValueError(f"claim {entry['_id']} does not set the version")
            apply_change(doc, change)
        raise RuntimeError(f"session {doc['_id']}: more than {MAX_ROLL_FORWARD} claimed versions")
