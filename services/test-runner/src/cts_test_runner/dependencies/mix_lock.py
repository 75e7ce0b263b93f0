"""Reading ``mix.lock`` well enough to say which dependency changed.

Mix writes the lock as one map entry per line (``"name": {:git, url, sha, opts},``), so
entries are compared line by line, without evaluating the file (it is the repository's, and
untrusted). Only names and sources are ever shown, never more of an entry.
"""

from __future__ import annotations

import re

ENTRY = re.compile(r'^\s*"(?P<name>[^"]+)":\s*(?P<value>\{.*\}),?\s*$')
GIT = re.compile(r'^\{:git,\s*"(?P<url>[^"]*)",\s*"(?P<sha>[0-9a-f]+)"')
HEX = re.compile(r'^\{:hex,\s*:[\w]+,\s*"(?P<version>[^"]*)"')


def entries(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        match = ENTRY.match(line)
        if match:
            found[match["name"]] = match["value"]
    return found


def describe(value: str | None) -> str:
    """What a lock entry pins, in a few words."""
    if value is None:
        return "nothing"
    if git := GIT.match(value):
        return f"{git['url']} at {git['sha'][:12]}"
    if hex_entry := HEX.match(value):
        return f"version {hex_entry['version']} from Hex"
    return "another source"


def changes(before: str, after: str) -> list[str]:
    """How ``mix deps.get`` changed the lock: one line per dependency."""
    old, new = entries(before), entries(after)
    lines = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        if name not in old:
            lines.append(f"{name}: not in mix.lock (mix.exs asks for {describe(new[name])})")
        elif name in new:
            lines.append(
                f"{name}: mix.lock pins {describe(old[name])}, mix.exs asks for "
                f"{describe(new[name])}"
            )
    return lines
