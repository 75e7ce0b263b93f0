"""Apply ``kafka_acls.grants`` to a broker: ``python -m cts_runtime.kafka_acls apply`` (the
local stack), and tests granting the ACLs of their own topic prefix.

aiokafka's admin client has no ACL call, but its protocol module has the CreateAcls request
(the version is negotiated with the broker), so this sends it directly. Creating an ACL that
exists is a no-op for the broker, so applying twice is harmless.
"""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest

from cts_runtime.kafka_acls import Grant

RESOURCE_TYPES = {"topic": 2, "group": 3}
PATTERN_TYPES = {"literal": 3, "prefixed": 4}
OPERATIONS = {"Read": 3, "Write": 4, "Describe": 8}
ALLOW = 3


class AclRefused(RuntimeError):
    """The broker refused an ACL (the message names it and the broker's reason)."""


async def apply_grants(bootstrap: str, grants: list[Grant], security: dict[str, Any]) -> int:
    """Create every ACL of ``grants`` with ``security`` (a super user's); returns how many."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    created = 0
    try:
        for grant in grants:
            for operation in grant.operations:
                request = CreateAclsRequest(
                    RESOURCE_TYPES[grant.resource], grant.name, PATTERN_TYPES[grant.pattern],
                    f"User:{grant.principal}", "*", OPERATIONS[operation], ALLOW,
                )  # fmt: skip
                response = await admin._send_request(request)
                for error_code, message in response.creation_responses:
                    if error_code:
                        raise AclRefused(f"{grant.principal} {operation} {grant.resource} "
                                         f"{grant.name}: error {error_code} {message}")  # fmt: skip
                created += 1
    finally:
        await admin.close()
    return created
