"""Constrained field types shared by every event: the first line of input validation."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

MAX_TEXT = 4_000
"""Default cap for free text fields: events stay small, large outputs go to artifacts."""

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="Lowercase id (a-z, 0-9, '_', '-'; 1-63 chars); safe in paths and keys."),
]
"""Account and project ids end up in workspace paths, so they are strict."""

ModuleName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*$", max_length=200),
    Field(description="An Elixir module name, e.g. MyApp.Accounts.UserRepository."),
]

ShortText = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HIDDEN_SEGMENTS = frozenset({".git"})
"""Never addressed by a session: the agent's file tools refuse it, so a contract does too."""


def check_relative_path(value: str) -> str:
    """The agent jail's rules, checked where a path enters CTS (every message naming a path),
    so a request the jail would refuse is refused at once, naming its field."""
    if "\x00" in value:
        raise ValueError("path must not contain a NUL byte")
    if _CONTROL.search(value):
        raise ValueError(f"path must not contain control characters: {value!r}")
    if "\\" in value:
        raise ValueError("path must use '/' separators, not '\\'")
    if value.startswith("/") or _WINDOWS_DRIVE.match(value):
        raise ValueError(f"path must be relative to the repository root, got absolute {value!r}")
    if value.startswith("~"):
        raise ValueError(f"path must be relative to the repository root, not a home: {value!r}")
    parts = value.split("/")
    if ".." in parts:
        raise ValueError(f"path must not contain '..': {value!r}")
    hidden = [part for part in parts if part in HIDDEN_SEGMENTS]
    if hidden:
        raise ValueError(f"path must not be inside {hidden[0]}/: {value!r}")
    if any(part in ("", ".") for part in parts):
        raise ValueError(f"path must not contain empty or '.' segments: {value!r}")
    return value


RelativePath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=400),
    AfterValidator(check_relative_path),
    Field(
        description="A path relative to the repository root: no '..', no leading '/' or '~', "
        "nothing inside .git/, no control characters."
    ),
]
