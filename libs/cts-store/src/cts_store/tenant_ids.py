"""Tenant-scoped documents addressed by ``_id`` alone, the tenant compared in memory.

FerretDB v1 hands only a lone ``_id`` filter to its storage: ``{_id, account_id, project_id}``
makes it decode every document of the collection (measured on the local stack: 300 documents
of 15 KB, ``find_one`` 2.6 ms by ``_id`` alone against 25.7 ms with the tenant beside it;
``update_one`` 5.4 against 29.7 ms), so a tenant filter costs time in proportion to every
document ever stored. (The local stack's own build, ``deploy/local/ferretdb/build.sh``,
passes the ``_id`` of any filter down; a deployment's FerretDB may not.) Reads therefore fetch
by ``_id`` and compare the tenant here, and a write goes by ``_id`` alone once this process
has seen that the ``_id`` is absent or holds the writer's own tenant.

What is left between that check and the write is another tenant creating the same ``_id``:
the ids kept this way are derived from their tenant (a session id is a UUID5 of the tenant
and the request, an interaction id extends it), so that takes a UUID collision. A tenant is
never changed once written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cachetools import LRUCache
from pymongo.asynchronous.collection import AsyncCollection

Tenant = tuple[str, str]
REMEMBERED = 4096
"""``_id``s whose tenant this process has checked: the documents of the steps in flight."""


def tenant_of(document: Mapping[str, Any]) -> Tenant:
    return str(document.get("account_id")), str(document.get("project_id"))


class TenantIds:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection
        self._checked: LRUCache[str, Tenant] = LRUCache(maxsize=REMEMBERED)

    def found(self, document_id: str, document: Mapping[str, Any] | None, tenant: Tenant) -> bool:
        """Whether a document read by ``_id`` is ``tenant``'s; remembered as ``tenant``'s to
        write when it is, or when there is none."""
        if document is not None and tenant_of(document) != tenant:
            return False
        self._checked[document_id] = tenant
        return document is not None

    async def writable(self, document_id: str, tenant: Tenant) -> bool:
        """Whether ``tenant`` may write ``document_id`` by ``_id`` alone: absent, or its own."""
        if self._checked.get(document_id) == tenant:
            return True
        stored = await self._collection.find_one(
            {"_id": document_id}, projection={"account_id": 1, "project_id": 1}
        )
        if stored is not None and tenant_of(stored) != tenant:
            return False
        self._checked[document_id] = tenant
        return True
