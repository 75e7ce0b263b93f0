"""Which repository URLs git may be given, and the URL with its credentials taken out.

The URL comes from a client's request, so it is hostile until proven otherwise: an option
(``-u...``), a remote helper (``ext::sh -c ...``) or an unexpected scheme would make git run
commands or reach places it should not. Credentials embedded in an https URL are removed here
and handed to git through ``GIT_ASKPASS`` instead, so they never reach a command line, a config
file, an error message or a log.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

Scheme = Literal["https", "ssh", "file"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_REMOTE_HELPER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.*)$")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f]")


class UrlRejected(ValueError):
    """The URL is not one CTS will hand to git; the message is safe to show."""


@dataclass(frozen=True)
class RemoteUrl:
    scheme: Scheme
    url: str
    """What git is given and what is stored: never holds a password or token."""
    host: str | None = None
    """``host[:port]``, lowercase (https and ssh)."""
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never be printed. A username alone may be a token (GitHub
        accepts ``https://<token>@github.com/...``), so it counts as one."""
        values = [self.password] if self.password else []
        if self.username and (self.password or self.scheme == "https"):
            values.append(self.username)
        return tuple(values)

    @property
    def key(self) -> str:
        """A stable name for the repository (its mirror directory), credentials excluded."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:24]


def parse_remote_url(raw: str, *, allow_file: bool) -> RemoteUrl:
    if not raw:
        raise UrlRejected("the repository URL is empty")
    if _FORBIDDEN_CHARS.search(raw):
        raise UrlRejected("the repository URL must not contain spaces or control characters")
    if raw.startswith("-"):
        raise UrlRejected("the repository URL must not start with '-'")
    if _REMOTE_HELPER.match(raw):
        raise UrlRejected("remote helper transports ('<transport>::<address>') are not allowed")
    scheme_match = _SCHEME.match(raw)
    if scheme_match is None:
        return _scp_like(raw)
    scheme = scheme_match.group(1).lower()
    allowed = "https, ssh, file" if allow_file else "https, ssh"
    if scheme == "file" and allow_file:
        return _file(raw)
    if scheme not in ("https", "ssh"):
        raise UrlRejected(f"URL scheme {scheme!r} is not allowed (allowed: {allowed})")
    try:
        parts = urlsplit(raw)
        port = parts.port  # validates the port
    except ValueError:
        raise UrlRejected("the repository URL is malformed") from None
    host = (parts.hostname or "").lower()
    if not host or host.startswith("-"):
        raise UrlRejected("the repository URL has no usable host")
    if parts.fragment:
        raise UrlRejected("the repository URL must not have a '#fragment'")
    host_port = f"{host}:{port}" if port is not None else host
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme == "ssh":
        return _ssh(parts, host_port, username, password)
    return RemoteUrl("https", _without_userinfo(parts), host_port, username, password or None)


def _without_userinfo(parts: SplitResult) -> str:
    netloc = parts.netloc.rpartition("@")[2]
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{netloc}{parts.path}{query}"


def _ssh(
    parts: SplitResult, host_port: str, username: str | None, password: str | None
) -> RemoteUrl:
    if password is not None:
        raise UrlRejected("ssh URLs must not carry a password; use a key")
    if username is not None and username.startswith("-"):
        raise UrlRejected("the ssh user must not start with '-'")
    user = f"{parts.username}@" if parts.username else ""
    netloc = parts.netloc.rpartition("@")[2]
    return RemoteUrl("ssh", f"ssh://{user}{netloc}{parts.path}", host_port, username)


def _scp_like(raw: str) -> RemoteUrl:
    match = _SCP_LIKE.match(raw)
    if match is None or "/" in raw.split(":", 1)[0]:
        raise UrlRejected(
            "local paths are not accepted; give an https or ssh URL (or a file:// URL where "
            "CTS_GIT_ALLOW_FILE_URLS is enabled)"
        )
    user, host = match.group("user"), match.group("host").lower()
    if host.startswith("-") or (user is not None and user.startswith("-")):
        raise UrlRejected("the ssh host and user must not start with '-'")
    if not match.group("path"):
        raise UrlRejected("the ssh URL has no repository path")
    return RemoteUrl("ssh", raw, host, user)


def _file(raw: str) -> RemoteUrl:
    parts = urlsplit(raw)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise UrlRejected("file URLs must be file:///absolute/path")
    if parts.query or parts.fragment:
        raise UrlRejected("file URLs must not have a query or fragment")
    return RemoteUrl("file", raw)


_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<userinfo>[^/?#]*)@")


def credentials_in(raw: str) -> tuple[str, ...]:
    """Best effort, for redaction only: the userinfo of any ``scheme://user:pass@`` URL,
    including URLs that were rejected and so never parsed."""
    match = _USERINFO.match(raw)
    if match is None:
        return ()
    username, _, password = match.group("userinfo").rpartition(":")
    if not username:  # no ':' at all: the userinfo is a user (or a token used as one)
        username, password = password, ""
    values = [unquote(password)] if password else []
    if match.group("scheme").lower() != "ssh":
        values.append(unquote(username))
    return tuple(value for value in values if value)
