"""A rule file's front matter: the YAML block between two ``---`` lines at its top.

The keys CTS reads are CodeMySpec's: ``component_type`` and ``session_type``, each a name, a
list of names, or ``*`` (the default). A file without front matter applies to every session;
one whose front matter cannot be read is refused with the reason, never applied by guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

DELIMITER = "---"


@dataclass(frozen=True)
class Parsed:
    component_types: tuple[str, ...]
    session_types: tuple[str, ...]
    body: str


class Unreadable(ValueError):
    """Why a rule file's front matter cannot be used."""


def _names(meta: dict[object, object], key: str) -> tuple[str, ...]:
    value = meta.get(key, "*")
    if value is None:
        return ("*",)
    if isinstance(value, str | int | float):
        return (str(value).strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
        return tuple(str(v).strip() for v in value)
    raise Unreadable(f"{key} must be a name, a list of names or '*'")


def parse(text: str) -> Parsed:
    """The selectors and the body; ``Unreadable`` when a front matter is there but unusable."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != DELIMITER:
        return Parsed(("*",), ("*",), text.strip())
    end = next((n for n, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        raise Unreadable("the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise Unreadable(f"the front matter is not valid YAML ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise Unreadable("the front matter is not a mapping of keys to values")
    body = "\n".join(lines[end + 1 :]).strip()
    return Parsed(_names(meta, "component_type"), _names(meta, "session_type"), body)
