"""A real smart-HTTP git server over TLS for tests: ``git http-backend`` (behind Basic auth
when given credentials), with a throwaway certificate for ``127.0.0.1`` or a host name,
recording which credentials each request carried."""

from __future__ import annotations

import base64
import gzip
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from ssl import PROTOCOL_TLS_SERVER, SSLContext
from urllib.parse import urlsplit


def plain_git_env(**extra: str) -> dict[str, str]:
    """git without any user or system configuration."""
    return {
        "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", tempfile.gettempdir()),
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C",
        **extra,
    }  # fmt: skip


@dataclass
class GitHttpsServer:
    project_root: Path
    cafile: Path
    username: str | None
    password: str | None
    port: int = 0
    seen_credentials: list[str | None] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    """Request bodies (decompressed) of authenticated requests, in order."""

    def object_requests(self) -> int:
        """How many requests asked for objects (protocol v2 ``fetch``, v0 ``want``)."""
        return sum(1 for body in self.bodies if b"command=fetch" in body or b"want " in body)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, repository: str, userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"https://{at}{self.host}/{repository}"


def make_certificate(directory: Path, hostname: str | None = None) -> tuple[Path, Path]:
    """A self-signed certificate for ``hostname`` (default: the address 127.0.0.1); clients
    trust it as their CA file."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    name = f"DNS:{hostname}" if hostname else "IP:127.0.0.1"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={hostname or '127.0.0.1'}", "-addext", f"subjectAltName={name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def serve_git_https(
    project_root: Path,
    certs: Path,
    *,
    username: str | None = None,
    password: str | None = None,
    hostname: str | None = None,
) -> Iterator[GitHttpsServer]:
    """Serve every repository under ``project_root``; with ``username``/``password`` only to
    requests carrying them."""
    cert, key = make_certificate(certs, hostname)
    state = GitHttpsServer(project_root, cert, username, password)
    expected = (
        None
        if username is None
        else "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    )

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = self._read_chunked()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._serve(body)

        def _read_chunked(self) -> bytes:
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()

        def _serve(self, body: bytes) -> None:
            auth = self.headers.get("Authorization")
            state.seen_credentials.append(auth)
            if expected is not None and auth != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.end_headers()
                return
            encoding = self.headers.get("Content-Encoding", "")
            state.bodies.append(gzip.decompress(body) if encoding == "gzip" else body)
            parts = urlsplit(self.path)
            env = plain_git_env(
                GIT_PROJECT_ROOT=str(project_root), GIT_HTTP_EXPORT_ALL="1",
                REMOTE_USER=username or "anonymous", REQUEST_METHOD=self.command,
                PATH_INFO=parts.path,
                QUERY_STRING=parts.query, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                CONTENT_LENGTH=str(len(body)),
                HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""),
                GIT_PROTOCOL=self.headers.get("Git-Protocol", ""),
            )  # fmt: skip
            result = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = result.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = SSLContext(PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
