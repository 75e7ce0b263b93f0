"""A session as its MongoDB document, and the ``$set`` from one version to the next."""

from __future__ import annotations

from typing import Any

from cts_core import Session

Document = dict[str, Any]


def to_document(session: Session) -> Document:
    doc = session.model_dump(mode="python", exclude={"id"})
    doc["_id"] = session.id
    doc["request"] = session.request.model_dump(mode="json")
    doc["outbox_pending"] = bool(session.outbox)
    return doc


def from_document(doc: Document) -> Session:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "outbox_pending")}
    return Session.model_validate({"id": doc["_id"], **fields})


def changes(old: Session, new: Session) -> Document:
    """The ``$set`` that turns stored ``old`` into ``new``: only the fields that differ, and
    ``interactions`` as its new or changed elements, so a claim holds what changed rather
    than the session's whole history."""
    update: Document = {}
    for name in Session.model_fields:
        before, after = getattr(old, name), getattr(new, name)
        if name in ("id", "version") or before is after:
            continue
        if name == "interactions" and len(after) >= len(before):
            for index, item in enumerate(after):
                if index >= len(before) or (item is not before[index] and item != before[index]):
                    update[f"interactions.{index}"] = item.model_dump(mode="python")
            continue
        if before != after:
            update[name] = _field(new, name)
    if "outbox" in update:
        update["outbox_pending"] = bool(new.outbox)
    return update


def _field(session: Session, name: str) -> Any:
    if name == "request":
        return session.request.model_dump(mode="json")
    return session.model_dump(mode="python", include={name})[name]
