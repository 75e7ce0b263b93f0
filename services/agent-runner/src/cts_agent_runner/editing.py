"""``edit_file``: replace one exact, unique piece of a file the session may write.

An exact string, not a pattern or a line range: the model copies the text it read, and a
match that is absent or not unique is refused with what to do instead, so an edit never lands
somewhere the model did not mean. Same jail, allow-list and cap as ``write_file``.
"""

from __future__ import annotations

from typing import Any

from cts_agent_runner.jail import Jail, Refused
from cts_runtime import beneath

EDIT_SPEC: dict[str, Any] = {
    "name": "edit_file",
    "description": "Replace one exact piece of text in an existing file: 'old_string' must "
    "occur exactly once (include surrounding lines to make it unique) and is replaced by "
    "'new_string'. The same files as write_file may be edited.",
    "input_schema": {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "old_string": {"type": "string", "description": "copied exactly from the file"},
            "new_string": {"type": "string"},
        },
        "required": ["path", "old_string", "new_string"],
    },
}


def edit_file(jail: Jail, args: dict[str, Any], *, write_cap: int) -> tuple[str, str]:
    """The edited file's path and what to tell the model; ``Refused`` when the edit is not
    exact, not unique or not allowed."""
    relative = jail.writable(args.get("path"))
    old, new = args.get("old_string"), args.get("new_string")
    if not isinstance(old, str) or not isinstance(new, str):
        raise Refused("'old_string' and 'new_string' must be strings")
    if not old:
        raise Refused("'old_string' is empty; use write_file to write a whole file")
    if old == new:
        raise Refused("'old_string' and 'new_string' are the same; nothing to change")
    data, more = beneath.read_capped(jail.root, relative, write_cap)
    if more:
        raise Refused(f"{relative} is over the {write_cap}-byte write cap")
    text = data.decode("utf-8")
    found = text.count(old)
    if found == 0:
        raise Refused(
            f"'old_string' does not occur in {relative}; read the file again and copy the "
            "text exactly, whitespace included"
        )
    if found > 1:
        raise Refused(
            f"'old_string' occurs {found} times in {relative}; include more of the "
            "surrounding lines so that it occurs once"
        )
    edited = text.replace(old, new, 1).encode()
    if len(edited) > write_cap:
        raise Refused(f"the edit makes {relative} {len(edited)} bytes, over the write cap")
    beneath.write_file(jail.root, relative, edited)
    line = text[: text.index(old)].count("\n") + 1
    return relative, f"edited {relative} at line {line} ({len(edited)} bytes)"
