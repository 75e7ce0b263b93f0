"""Test and fixture rules: markdown files, optionally with front matter (``front_matter``)
selecting them by component type and session type.

Built-in rules ship in ``cts_agent_runner/rules/``, one per concern and component type; a
repository adds its own in ``docs/rules/*.md`` (CodeMySpec's place and format). The
repository's come after the built-ins in the prompt and win where they disagree; a repository
file with a built-in's name replaces it. What was applied, and what was skipped and why, is
answered with the step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cts_agent_runner.front_matter import Unreadable, parse
from cts_runtime import beneath
from cts_runtime.logs import get_logger

log = get_logger(__name__)

RULES_DIR = "docs/rules"
BUILT_IN = "built-in"
MAX_RULE_FILES = 20
SESSION_TYPE_NAMES = {"component_test": frozenset({"component_test", "test"})}
"""A component test session answers to CodeMySpec's name for it too."""


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    """Where it came from: ``docs/rules/<file>``, or ``built-in/<file>`` for CTS's own."""
    component_types: tuple[str, ...]
    session_types: tuple[str, ...]
    body: str

    def applies(self, component_type: str, session_type: str) -> bool:
        names = SESSION_TYPE_NAMES.get(session_type, frozenset({session_type}))
        return _matches(self.component_types, {component_type}) and _matches(
            self.session_types, names
        )


def _matches(selectors: tuple[str, ...], names: set[str] | frozenset[str]) -> bool:
    return any(s == "*" or s in names for s in selectors)


@dataclass
class RuleSet:
    applied: list[Rule] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return [rule.source for rule in self.applied]


def _rule(name: str, source: str, text: str, warnings: list[str]) -> Rule | None:
    try:
        parsed = parse(text)
    except Unreadable as exc:
        warnings.append(f"{source} skipped: {exc}")
        return None
    return Rule(name, source, parsed.component_types, parsed.session_types, parsed.body)


def builtin_rules() -> list[Rule]:
    folder = resources.files("cts_agent_runner") / "rules"
    problems: list[str] = []
    rules = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            text = entry.read_text("utf-8")
            rule = _rule(entry.name, f"{BUILT_IN}/{entry.name}", text, problems)
            if rule is not None:
                rules.append(rule)
    assert not problems, problems  # our own files: a broken one is a bug, caught by the tests
    return rules


def _rule_file_names(workspace: Path, warnings: list[str]) -> list[str]:
    try:
        fd = beneath.open_beneath(workspace, RULES_DIR, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return []
    except OSError as exc:
        warnings.append(f"{RULES_DIR} not read: {exc}")
        return []
    try:
        names = sorted(name for name in os.listdir(fd) if name.endswith(".md"))
    finally:
        os.close(fd)
    if len(names) > MAX_RULE_FILES:
        warnings.append(f"{RULES_DIR}: only the first {MAX_RULE_FILES} of {len(names)} files read")
    return names[:MAX_RULE_FILES]


def workspace_rules(workspace: Path, *, cap_bytes: int, warnings: list[str]) -> list[Rule]:
    """The repository's rules. Each file is opened beneath the workspace without following a
    link; one that is a link, not a regular file or over the cap is skipped with a warning."""
    rules = []
    for name in _rule_file_names(workspace, warnings):
        source = f"{RULES_DIR}/{name}"
        try:
            data, more = beneath.read_capped(workspace, source, cap_bytes)
        except OSError as exc:
            warnings.append(f"{source} skipped: {exc}")
            continue
        if more:
            warnings.append(f"{source} skipped: over the {cap_bytes}-byte size cap")
            continue
        rule = _rule(name, source, data.decode("utf-8", errors="replace"), warnings)
        if rule is not None:
            rules.append(rule)
    return rules


def load_rules(
    workspace: Path, *, component_type: str, session_type: str, cap_bytes: int
) -> RuleSet:
    """Built-ins first, then the repository's, keeping those that apply."""
    found = RuleSet()
    own = workspace_rules(workspace, cap_bytes=cap_bytes, warnings=found.warnings)
    replaced = {rule.name for rule in own}
    ordered = [rule for rule in builtin_rules() if rule.name not in replaced] + own
    found.applied = [rule for rule in ordered if rule.applies(component_type, session_type)]
    for warning in found.warnings:
        log.warning("rules file skipped", reason=warning)
    return found


def render_rules(rules: list[Rule]) -> str:
    if not rules:
        return "# Rules\n\n(none apply)"
    sections = [f'<rules source="{rule.source}">\n{rule.body}\n</rules>' for rule in rules]
    return (
        "# Rules for this component\n\nCTS's built-in rules come first; the repository's own "
        "rules (docs/rules/) follow and win wherever they disagree.\n\n" + "\n\n".join(sections)
    )
