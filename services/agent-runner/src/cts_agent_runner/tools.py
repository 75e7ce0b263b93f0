"""The model's file tools, run inside the jail. A refused or failed call is a result the
model reads (``is_error``), never an exception out of the loop.

Every file is opened beneath the workspace without following links (``cts_runtime.beneath``)
and read with a streaming cap: a path swapped for a symlink mid-call, a FIFO or a 300 MB file
costs a refusal or the cap, never a read outside or the whole file in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cts_agent_runner.editing import EDIT_SPEC, edit_file
from cts_agent_runner.jail import HIDDEN_DIRS, Jail, Refused
from cts_agent_runner.workspace_reading import WalkedFile, read_lines, walk
from cts_runtime import beneath

SKIPPED_DIRS = HIDDEN_DIRS | {"_build", "deps", "node_modules", ".elixir_ls"}
MAX_LISTED = 500
MAX_MATCHES = 100
MAX_SEARCHED_FILE = 512 * 1024
APPENDED_FILE_CAP_FACTOR = 4
"""A file written in parts may grow to this many write caps."""

TOOL_SPECS: list[dict[str, Any]] = [
    {
        "name": "list_files",
        "description": "List the files under a workspace directory (recursive, build "
        "output and .git skipped). Directories end with '/'.",
        "input_schema": {
            "type": "object",
            "properties": {"dir": {"type": "string", "description": "e.g. 'lib' or '.'"}},
        },
    },
    {
        "name": "read_file",
        "description": "Read a text file of the workspace. 'offset' is the first line "
        "(1-based), 'limit' the number of lines.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "offset": {"type": "integer", "minimum": 1},
                "limit": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    },
    {
        "name": "write_file",
        "description": "Create or replace a whole file; with append: true, add to its end "
        "instead (write a long file in parts: the first without append, the rest with it). "
        "Only the session's test file, its fixture file and files under test/support/ may be "
        "written.",
        "input_schema": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"},
                "append": {"type": "boolean"},
            },
            "required": ["path", "content"],
        },
    },
    EDIT_SPEC,
    {
        "name": "search",
        "description": "Find a literal string in the workspace's text files; answers "
        "'path:line: text' for up to 100 matches.",
        "input_schema": {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "dir": {"type": "string"}},
            "required": ["pattern"],
        },
    },
]


@dataclass(frozen=True)
class ToolResult:
    text: str
    is_error: bool = False


@dataclass
class ToolBox:
    jail: Jail
    read_cap: int
    write_cap: int
    written: list[str] = field(default_factory=list)

    async def call(self, name: str, arguments: object) -> ToolResult:
        handler = {
            "list_files": self._list_files,
            "read_file": self._read_file,
            "write_file": self._write_file,
            "edit_file": self._edit_file,
            "search": self._search,
        }.get(name)
        if handler is None:
            return ToolResult(f"unknown tool {name!r}", is_error=True)
        if not isinstance(arguments, dict):
            return ToolResult("the tool input must be an object", is_error=True)
        try:
            return await asyncio.to_thread(handler, arguments)
        except (OSError, UnicodeDecodeError, TypeError, ValueError) as exc:
            return _failure(name, arguments, exc)

    def _walk(self, relative: str) -> Iterator[WalkedFile]:
        return walk(self.jail.root, relative, skip=SKIPPED_DIRS)

    def _list_files(self, args: dict[str, Any]) -> ToolResult:
        relative = self.jail.relative(args.get("dir") or ".", allow_root=True)
        entries = sorted(_listed(f) for f in self._walk(relative))
        more = len(entries) - MAX_LISTED
        listing = "\n".join(entries[:MAX_LISTED]) or "(empty)"
        return ToolResult(listing + (f"\n... and {more} more" if more > 0 else ""))

    def _read_file(self, args: dict[str, Any]) -> ToolResult:
        relative = self.jail.relative(args.get("path"))
        offset = max(1, int(args.get("offset") or 1))
        limit = max(1, int(args.get("limit") or 2000))
        with beneath.open_regular(self.jail.root, relative) as (fd, _):
            lines = read_lines(fd, offset=offset, limit=limit, cap=self.read_cap)
        text = lines.text
        last = offset - 1 + len(text.splitlines())
        note = f"[{args['path']}: lines {offset}-{last} of {lines.total}"
        note += "; cut at the read size cap, read on with a larger offset]" if lines.capped else "]"
        return ToolResult(f"{note}\n{text}")

    def _write_file(self, args: dict[str, Any]) -> ToolResult:
        relative = self.jail.writable(args.get("path"))
        content = args.get("content")
        if not isinstance(content, str):
            return ToolResult("'content' must be a string", is_error=True)
        data = content.encode()
        if len(data) > self.write_cap:
            raise Refused(f"{len(data)} bytes is over the {self.write_cap}-byte write cap")
        if args.get("append") is True:
            cap = APPENDED_FILE_CAP_FACTOR * self.write_cap
            total = beneath.append_file(self.jail.root, relative, data, max_total=cap)
            answer = f"appended to {relative} (now {total} bytes)"
        else:
            beneath.write_file(self.jail.root, relative, data)
            answer = f"wrote {relative} ({len(data)} bytes)"
        if relative not in self.written:
            self.written.append(relative)
        return ToolResult(answer)

    def _edit_file(self, args: dict[str, Any]) -> ToolResult:
        relative, message = edit_file(self.jail, args, write_cap=self.write_cap)
        if relative not in self.written:
            self.written.append(relative)
        return ToolResult(message)

    def _search(self, args: dict[str, Any]) -> ToolResult:
        pattern = args.get("pattern")
        if not isinstance(pattern, str) or not pattern or len(pattern) > 200:
            return ToolResult("'pattern' must be a string of 1-200 characters", is_error=True)
        relative = self.jail.relative(args.get("dir") or ".", allow_root=True)
        matches: list[str] = []
        for found in self._walk(relative):
            text = found.read_text(MAX_SEARCHED_FILE)
            if text is None:
                continue
            lines = text.splitlines()
            matches += [f"{found.path}:{n}: {line[:300]}" for n, line in enumerate(lines, 1)
                        if pattern in line]  # fmt: skip
            if len(matches) >= MAX_MATCHES:
                break
        return ToolResult("\n".join(matches[:MAX_MATCHES]) or "no matches")


def _failure(name: str, arguments: dict[str, Any], exc: Exception) -> ToolResult:
    """What the model reads when a call fails: a refusal says why, anything else names it."""
    if isinstance(exc, Refused | beneath.NotBeneath):
        return ToolResult(f"refused: {exc}", is_error=True)
    if isinstance(exc, FileNotFoundError):
        return ToolResult(f"{_shown(arguments)!r} does not exist", is_error=True)
    if isinstance(exc, NotADirectoryError):
        return ToolResult(f"{_shown(arguments)!r} is not a directory", is_error=True)
    return ToolResult(f"{name} failed: {type(exc).__name__}: {exc}"[:500], is_error=True)


def _listed(entry: WalkedFile) -> str:
    if entry.link is not None:
        return f"{entry.path} -> {entry.link} (a symbolic link: not followed)"
    return entry.path + ("/" if entry.is_dir else "")


def _shown(arguments: dict[str, Any]) -> object:
    return arguments.get("path", arguments.get("dir"))
