"""What went wrong, in words a person can act on, and whether trying again can help."""

from __future__ import annotations

import enum
import re


class FailureKind(enum.Enum):
    NOT_FOUND = "repository not found"
    AUTH = "authentication failed"
    NETWORK = "network failure"
    OTHER = "git failed"


# git's own messages (LC_ALL=C) and those of common servers. Order matters: an ssh
# authentication failure also says "Could not read from remote repository".
_PATTERNS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = (
    (
        FailureKind.AUTH,
        re.compile(
            r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
            r"|Permission denied \(|Host key verification failed|HTTP Basic: Access denied"
            r"|returned error: 40[13]\b|Invalid username or password",
            re.IGNORECASE,
        ),
    ),
    (
        FailureKind.NOT_FOUND,
        re.compile(
            r"Repository not found|does not appear to be a git repository"
            r"|repository '[^']*' not found|returned error: 404\b|No such device or address"
            r"|project you were looking for could not be found",
            re.IGNORECASE,
        ),
    ),
    (
        FailureKind.NETWORK,
        re.compile(
            r"Could not resolve host|Temporary failure in name resolution"
            r"|Failed to connect|Couldn't connect|Connection refused|Connection timed out"
            r"|Connection reset|Network is unreachable|No route to host|Operation timed out"
            r"|timed out|early EOF|remote end hung up unexpectedly|RPC failed|unexpected disconnect"
            r"|transfer closed|SSL_ERROR_SYSCALL|GnuTLS recv error|returned error: (5\d\d|429)\b"
            r"|gnutls_handshake\(\) failed|TLS connection was non-properly terminated",
            re.IGNORECASE,
        ),
    ),
)


def classify(stderr: str) -> FailureKind:
    for kind, pattern in _PATTERNS:
        if pattern.search(stderr):
            return kind
    return FailureKind.OTHER


class GitError(Exception):
    """A git command failed; ``message`` has been redacted and is safe to print."""

    def __init__(self, operation: str, message: str, kind: FailureKind) -> None:
        super().__init__(f"{operation}: {message}")
        self.operation = operation
        self.message = message
        self.kind = kind


class StepFailure(Exception):
    """The step cannot succeed as asked; ``summary``/``message`` are safe to publish."""

    def __init__(self, summary: str, message: str | None = None, *, transient: bool = False):
        super().__init__(message or summary)
        self.summary = summary
        self.message = message or summary
        self.transient = transient


def failure_from(error: GitError, *, what: str) -> StepFailure:
    """Turn a git error on ``what`` (a redacted URL or a ref) into the step's answer."""
    detail = f"{error.operation} {what}: {error.message}"
    match error.kind:
        case FailureKind.NOT_FOUND:
            return StepFailure("repository not found", f"repository not found: {detail}")
        case FailureKind.AUTH:
            return StepFailure("authentication failed", f"authentication failed: {detail}")
        case FailureKind.NETWORK:
            return StepFailure("git network failure", f"network failure: {detail}", transient=True)
        case _:
            return StepFailure(f"git {error.operation} failed", detail)
