"""Attack 3 of the bus issue: the git token was scoped only by host, so any requester could name
any repository on that host and have it cloned (and pushed to) with the shared token.

With a tenants file (``CTS_GIT_TENANTS_FILE``) a session asking for a repository its
account/project was not given fails at Initialize with a readable reason, and no credential
leaves the git-committer: a real HTTPS git "server" that challenges for credentials records
every request it gets, and must get none. The service-wide token is set too (and allowed for
that host), as an operator who added tenants to an existing deployment would have it."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, TESTS_STEP_REQUESTED, topic
from cts_testing.kafka import publish
from cts_testing.stack import Endpoints
from tests.reliability.fleet import fleet
from tests.reliability.harness import (
    ACCOUNT,
    PROJECT,
    events_of,
    observer,
    wait_finished,
    wait_until,
)

SERVICE_TOKEN = "ghp_" + "S" * 36
RIVAL_TOKEN = "ghp_" + "R" * 36


class _Trap(BaseHTTPRequestHandler):
    """Answers every request with a Basic challenge (so git would send credentials next) and
    records the request line and any Authorization header."""

    seen: list[str]

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        decoded = base64.b64decode(auth.split()[-1]).decode() if auth else ""
        self.seen.append(f"{self.path} {decoded}")
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """An HTTPS server on 127.0.0.1 (its URL, the CA file git must trust, what it saw)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    seen: list[str] = []
    handler = type("Trap", (_Trap,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_file, seen
    finally:
        server.shutdown()
        server.server_close()


async def test_a_repository_the_tenant_was_not_given_fails_at_initialize_without_a_token(
    stack: Endpoints, tmp_path: Path, trap: tuple[str, Path, list[str]]
) -> None:
    host_url, ca_file, seen = trap
    host = host_url.removeprefix("https://")
    tenants = tmp_path / "tenants.yaml"
    token_file = tmp_path / "service-token"
    token_file.write_text(SERVICE_TOKEN)
    env = {
        "CTS_GIT_TENANTS_FILE": str(tenants),
        "CTS_GIT_HTTPS_TOKEN_FILE": str(token_file),
        "CTS_GIT_HTTPS_TOKEN_HOSTS": host,
        "CTS_GIT_SSL_CAINFO": str(ca_file),
    }
    async with fleet(stack, tmp_path / "fleet", [], roles=("orchestrator", "git"),
                     env=env) as running:  # fmt: skip
        own_url, _ = running.repository("app")
        tenants.write_text(json.dumps({"tenants": [
            {"account": ACCOUNT, "project": PROJECT, "repositories": [own_url]},
            {"account": "rival", "project": "*", "repositories": [f"{host_url}/rival/*"],
             "credential": {"token": RIVAL_TOKEN}},
        ]}))  # fmt: skip
        requests = {
            "rival's repository": running.request("steal", f"{host_url}/rival/app.git"),
            "a project without an entry": running.request("other", own_url, project="unlisted"),
            "the tenant's own": running.request("own", own_url),
        }
        async with observer(stack, running.prefix) as events:
            for request in requests.values():
                await publish(stack.kafka_bootstrap_servers,
                              topic(SESSION_REQUESTED, running.prefix), request,
                              key=request.data.session_id,
                              security=stack.kafka_options("client"))  # fmt: skip
            refused = [requests["rival's repository"], requests["a project without an entry"]]
            await wait_finished(events, [r.data.session_id for r in refused], within=90,
                                fleet=running)  # fmt: skip
            own = requests["the tenant's own"].data.session_id
            await wait_until(lambda: events_of(events, TESTS_STEP_REQUESTED, own), within=60,
                             what=f"the own repository's next step\n{running.logs()}")  # fmt: skip

            finished = {e["data"]["session_id"]: e["data"] for e in events_of(events,
                        SESSION_FINISHED)}  # fmt: skip
            stolen = finished[requests["rival's repository"].data.session_id]
            assert stolen["status"] == "failed"
            assert stolen["reason"].startswith("Initialize failed: "), stolen
            assert (f"{host_url}/rival/app.git is not among the repositories configured for "
                    f"{ACCOUNT}/{PROJECT} (CTS_GIT_TENANTS_FILE)") in stolen["reason"]  # fmt: skip
            unlisted = finished[requests["a project without an entry"].data.session_id]
            assert f"no repositories are configured for {ACCOUNT}/unlisted" in unlisted["reason"]
            assert own not in finished

            assert seen == [], "the git-committer contacted a repository it was not given"
            published = json.dumps(events.events)
            assert SERVICE_TOKEN not in published
            assert RIVAL_TOKEN not in published
