"""What the agent is told about the project beyond the component: the project's description
(the request's, else the first paragraph of the repository's README) and the similar
components' files that exist in the workspace.

Both come from the repository, so both are read beneath the workspace without following a
link, capped, and given as data (a description, paths), never as instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cts_contracts import naming
from cts_contracts.step_requested import StepRequestedData
from cts_runtime import beneath

READMES = ("README.md", "README.markdown", "README", "readme.md", "Readme.md")
README_CAP = 64 * 1024
MAX_DESCRIPTION = 1_000
_NOT_PROSE = re.compile(r"^\s*(#|!\[|\[!\[|<|```|~~~|---|\*\*\*|___|\|)")
_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
"""Under a line of text it makes that line a (setext) heading."""


@dataclass(frozen=True)
class Similar:
    module_name: str
    files: list[tuple[str, str]]
    """(what, path) for each of its files that exists: design, code, tests."""


@dataclass(frozen=True)
class ProjectContext:
    description: str | None
    description_source: str | None
    """``the request`` or the README's path."""
    similar: list[Similar]


def first_paragraph(markdown: str) -> str | None:
    """The first run of prose lines: headings, badges, HTML, fences, rules and tables are not
    prose, and a blank line ends it."""
    kept: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            if kept:
                break
            continue
        if in_fence:
            continue
        if kept and _UNDERLINE.match(line):
            kept = []
            continue
        if not line.strip() or _NOT_PROSE.match(line):
            if kept:
                break
            continue
        kept.append(line.strip())
    text = " ".join(kept)
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    return text or None


def _readme(workspace: Path) -> tuple[str, str] | None:
    for name in READMES:
        text = beneath.read_text(workspace, name, README_CAP)
        if text is not None:
            paragraph = first_paragraph(text)
            return (paragraph, name) if paragraph else None
    return None


def _similar(workspace: Path, command: StepRequestedData) -> list[Similar]:
    found = []
    for similar in command.component.similar_components:
        module = similar.module_name
        candidates = (
            ("design", similar.design_file or naming.design_file(module)),
            ("code", similar.source_file or naming.source_file(module)),
            ("tests", similar.test_file or naming.test_file(module)),
        )
        files = [(what, path) for what, path in candidates
                 if beneath.is_regular_file(workspace, path)]  # fmt: skip
        found.append(Similar(module, files))
    return found


def project_context(workspace: Path, command: StepRequestedData) -> ProjectContext:
    similar = _similar(workspace, command)
    if command.project_description:
        return ProjectContext(command.project_description, "the request", similar)
    readme = _readme(workspace)
    if readme is None:
        return ProjectContext(None, None, similar)
    return ProjectContext(readme[0], readme[1], similar)
