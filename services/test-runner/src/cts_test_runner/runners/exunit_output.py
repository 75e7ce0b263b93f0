"""Compiler diagnostics from Mix and Elixir output: file, line and message.

Elixir 1.14 has no structured diagnostics API for ``mix test`` (``Code.with_diagnostics``
came in 1.15, and ``mix test`` drops the parallel compiler's warning list), so the compiler's
own fixed formats are read here. Elixir 1.14 prints

    warning: variable "x" is unused (...)
      test/a_test.exs:7: ATest."test ..."/1

    == Compilation error in file test/a_test.exs ==
    ** (CompileError) test/a_test.exs:6: undefined function f/0 (...)

and 1.16+ indents the block and points with a box drawing, both understood here:

        warning: variable "x" is unused (...)
        │
      7 │   x = 1
        └─ test/a_test.exs:7:5: ATest."test ..."/1
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cts_contracts import Diagnostic

_LOCATION = re.compile(
    r"^\s*(?:└─\s*)?(?P<file>[^\s:│][^\s:]*\.(?:exs|ex|erl|hrl|eex|heex|leex)):(?P<line>\d+)"
    r"(?::\d+)?(?::|$)"
)
_HEADLINE = re.compile(
    r"^\*\* \((?P<kind>[\w.]+)\) (?:(?P<file>[^\s:]+\.(?:exs|ex|erl|eex|heex)):(?P<line>\d+)?"
    r"(?::\d+)?:? ?)?(?P<message>.*)$"
)
_COMPILED = re.compile(r"^Compiled (?P<file>\S+\.(?:ex|erl))\s*$")
_SNIPPET = re.compile(r"^\s*\d*\s*│")
_FOUND_AT = re.compile(r"^(?:Invalid call )?[Ff]ound at \d+ locations?:\s*$")
_BLOCK = re.compile(r"^ {0,4}(?P<severity>warning|error): (?P<message>.*)$")
"""1.14 starts a diagnostic at column 0; 1.16+ indents it by four spaces."""
_LOGGED = "(errors have been logged)"
MAX_MESSAGE = 1_500


@dataclass(frozen=True)
class CompilerOutput:
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    compiled_files: list[str]
    """Files ``mix compile --verbose`` reported as compiled in this run."""


def parse_compiler_output(text: str) -> CompilerOutput:
    lines = text.splitlines()
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    compiled: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if match := _COMPILED.match(line):
            compiled.append(match["file"])
        if block := _BLOCK.match(line):
            into = warnings if block["severity"] == "warning" else errors
            i = _read_block(lines, i, block["severity"], into)
            continue
        diagnostic = _headline(lines, i) if line.startswith("** (") else None
        # 1.15+ ends with "cannot compile module ... (errors have been logged)": a repeat.
        if diagnostic is not None and (_LOGGED not in diagnostic.message or not errors):
            errors.append(diagnostic)
        i += 1
    return CompilerOutput(_unique(errors), _unique(warnings), compiled)


def _read_block(lines: list[str], start: int, severity: str, into: list[Diagnostic]) -> int:
    """A ``warning:``/``error:`` block: message lines, then one or more locations."""
    message = [lines[start].split(": ", 1)[1].strip()]
    locations: list[tuple[str, int]] = []
    i = start + 1
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        if _BLOCK.match(line) or line.startswith(("** (", "== ")):
            break
        if match := _LOCATION.match(line):
            locations.append((match["file"], int(match["line"])))
        elif not locations and not _SNIPPET.match(line) and not _FOUND_AT.match(line):
            message.append(line.strip())
        i += 1
    text = " ".join(part for part in message if part)[:MAX_MESSAGE]
    kind = "error" if severity == "error" else "warning"
    if not locations:
        into.append(Diagnostic(file=None, line=None, message=text, severity=kind))
    for file, line_no in locations:
        into.append(Diagnostic(file=file[:200], line=line_no, message=text, severity=kind))
    return i


def _headline(lines: list[str], i: int) -> Diagnostic | None:
    match = _HEADLINE.match(lines[i])
    if match is None:
        return None
    file, line = match["file"], match["line"]
    message = f"({match['kind']}) {match['message']}".strip()
    if file is None or line is None:
        # e.g. a raise at module level: the location is the first stack entry in a source file
        for follow in lines[i + 1 : i + 6]:
            if (where := _LOCATION.match(follow)) is not None:
                file, line = where["file"], where["line"]
                break
    return Diagnostic(file=file, line=int(line) if line else None, message=message[:MAX_MESSAGE])


def _unique(items: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str | None, int | None, str]] = set()
    unique = []
    for item in items:
        key = (item.file, item.line, item.message)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
