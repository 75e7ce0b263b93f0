"""Credentials never travel in an event: how to spot them in a repository URL, and how to mask
them (and anything token-shaped) in text copied from a message, such as a dead letter's
excerpt."""

from __future__ import annotations

import re

MASK = "***"

WHERE_CREDENTIALS_GO = (
    "give the git-committer the credential instead: the tenant's entry in "
    "CTS_GIT_TENANTS_FILE, or CTS_GIT_HTTPS_TOKEN (or CTS_GIT_HTTPS_TOKEN_FILE) with "
    "CTS_GIT_HTTPS_TOKEN_HOSTS"
)

_URL_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<userinfo>[^/?#]*)@")
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"<>]+@")
_TOKEN_SHAPES = re.compile(
    r"\b(?:"
    r"gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|sk-ant-[A-Za-z0-9_-]{10,}"  # Anthropic
    r"|sk-[A-Za-z0-9]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # JWTs
    r")"
    r"|(?i:\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{16,}"
)


def userinfo_problem(url: str) -> str | None:
    """Why ``url`` may not be used because of its user info, or ``None``. An ssh user name
    alone (``ssh://git@host/...``) names an account, not a secret, and is allowed; any
    password, and any user info of another scheme (a token is often sent as the user
    name), is refused."""
    match = _URL_USERINFO.match(url)
    if match is None:
        return None
    scheme, userinfo = match.group("scheme").lower(), match.group("userinfo")
    if scheme == "ssh" and ":" not in userinfo:
        return None
    return (
        "repository.url must not carry credentials (user info before '@'): events are "
        f"stored and re-published, so a credential there would leak; {WHERE_CREDENTIALS_GO}"
    )


def redact_credentials(text: str) -> str:
    """``text`` with every URL's user info and every token-shaped string masked."""
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    return _TOKEN_SHAPES.sub(MASK, text)
