"""The model's four file tools, run inside the jail. A refused or failed call is a result the
model reads (``is_error``), never an exception out of the loop."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cts_agent_runner.jail import HIDDEN_DIRS, Jail, Refused, write_text_nofollow

SKIPPED_DIRS = HIDDEN_DIRS | {"_build", "deps", "node_modules", ".elixir_ls"}
MAX_LISTED = 500
MAX_MATCHES = 100
MAX_SEARCHED_FILE = 512 * 1024

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
        "description": "Create or replace a whole file. Only the session's test file, its "
        "fixture file and files under test/support/ may be written.",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    },
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
            "search": self._search,
        }.get(name)
        if handler is None:
            return ToolResult(f"unknown tool {name!r}", is_error=True)
        if not isinstance(arguments, dict):
            return ToolResult("the tool input must be an object", is_error=True)
        try:
            return await asyncio.to_thread(handler, arguments)
        except Refused as refused:
            return ToolResult(f"refused: {refused}", is_error=True)
        except (OSError, UnicodeDecodeError, TypeError, ValueError) as exc:
            return ToolResult(f"{name} failed: {type(exc).__name__}: {exc}"[:500], is_error=True)

    def _walk(self, top: Path) -> list[Path]:
        found: list[Path] = []
        for current, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            here = Path(current)
            found += [here / d for d in dirs] + [here / f for f in sorted(files)]
        return found

    def _list_files(self, args: dict[str, Any]) -> ToolResult:
        top = self.jail.readable(args.get("dir") or ".", allow_root=True)
        if not top.is_dir():
            return ToolResult(f"{args.get('dir')!r} is not a directory", is_error=True)
        entries = sorted(
            str(p.relative_to(self.jail.root)) + ("/" if p.is_dir() else "")
            for p in self._walk(top)
        )
        more = len(entries) - MAX_LISTED
        listing = "\n".join(entries[:MAX_LISTED]) or "(empty)"
        return ToolResult(listing + (f"\n... and {more} more" if more > 0 else ""))

    def _read_file(self, args: dict[str, Any]) -> ToolResult:
        target = self.jail.readable(args.get("path"))
        if not target.is_file():
            return ToolResult(f"{args.get('path')!r} does not exist", is_error=True)
        offset = max(1, int(args.get("offset") or 1))
        limit = max(1, int(args.get("limit") or 2000))
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        chosen = lines[offset - 1 : offset - 1 + limit]
        text = "".join(chosen)
        capped = len(text.encode()) > self.read_cap
        if capped:
            text = text.encode()[: self.read_cap].decode("utf-8", "ignore")
        last = offset - 1 + len(text.splitlines())
        note = f"[{args['path']}: lines {offset}-{last} of {len(lines)}"
        note += "; cut at the read size cap, read on with a larger offset]" if capped else "]"
        return ToolResult(f"{note}\n{text}")

    def _write_file(self, args: dict[str, Any]) -> ToolResult:
        relative, target = self.jail.writable(args.get("path"))
        content = args.get("content")
        if not isinstance(content, str):
            return ToolResult("'content' must be a string", is_error=True)
        size = len(content.encode())
        if size > self.write_cap:
            raise Refused(f"{size} bytes is over the {self.write_cap}-byte write cap")
        write_text_nofollow(target, content)
        if relative not in self.written:
            self.written.append(relative)
        return ToolResult(f"wrote {relative} ({size} bytes)")

    def _search(self, args: dict[str, Any]) -> ToolResult:
        pattern = args.get("pattern")
        if not isinstance(pattern, str) or not pattern or len(pattern) > 200:
            return ToolResult("'pattern' must be a string of 1-200 characters", is_error=True)
        top = self.jail.readable(args.get("dir") or ".", allow_root=True)
        matches: list[str] = []
        for path in self._walk(top):
            if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_SEARCHED_FILE:
                continue
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                continue
            relative = path.relative_to(self.jail.root)
            matches += [f"{relative}:{n}: {line[:300]}" for n, line in enumerate(lines, 1)
                        if pattern in line]  # fmt: skip
            if len(matches) >= MAX_MATCHES:
                break
        return ToolResult("\n".join(matches[:MAX_MATCHES]) or "no matches")
