"""Test and fixture rules: markdown with YAML front matter, selected by component type and
session type (each an exact value or ``*``; both must match).

Built-in defaults ship in ``cts_agent_runner/rules/``; a repository adds its own in
``docs/rules/*.md``, and a repository file with a built-in's name replaces that built-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from cts_runtime.logs import get_logger

log = get_logger(__name__)

RULES_DIR = "docs/rules"
MAX_RULE_FILES = 20


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    component_type: str
    session_type: str
    body: str

    def applies(self, component_type: str, session_type: str) -> bool:
        return self.component_type in ("*", component_type) and self.session_type in (
            "*",
            session_type,
        )


def parse_rule(name: str, source: str, text: str) -> Rule | None:
    """``None`` (and a warning) for a file without usable front matter: a broken rules file
    must not stop the step."""
    if not text.startswith("---"):
        log.warning("rules file without front matter ignored", source=source)
        return None
    parts = text.split("\n---", 1)
    try:
        meta = yaml.safe_load(parts[0][3:]) if len(parts) == 2 else None
    except yaml.YAMLError:
        meta = None
    if not isinstance(meta, dict):
        log.warning("rules file with unreadable front matter ignored", source=source)
        return None
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return Rule(
        name=name,
        source=source,
        component_type=str(meta.get("component_type", "*")),
        session_type=str(meta.get("session_type", "*")),
        body=body.strip(),
    )


def builtin_rules() -> list[Rule]:
    folder = resources.files("cts_agent_runner") / "rules"
    rules = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            rule = parse_rule(entry.name, f"built-in {entry.name}", entry.read_text("utf-8"))
            if rule is not None:
                rules.append(rule)
    return rules


def workspace_rules(workspace: Path, *, cap_bytes: int) -> list[Rule]:
    """The repository's rules; files that are too big or resolve outside are skipped."""
    root = workspace.resolve()
    folder = (root / RULES_DIR).resolve()
    if root not in folder.parents or not folder.is_dir():
        return []
    rules = []
    for path in sorted(folder.glob("*.md"))[:MAX_RULE_FILES]:
        real = path.resolve()
        if root not in real.parents or not real.is_file():
            log.warning("rules file outside the workspace ignored", file=path.name)
            continue
        if real.stat().st_size > cap_bytes:
            log.warning("rules file over the size cap ignored", file=path.name)
            continue
        text = real.read_text(encoding="utf-8", errors="replace")
        rule = parse_rule(path.name, f"{RULES_DIR}/{path.name}", text)
        if rule is not None:
            rules.append(rule)
    return rules


def load_rules(
    workspace: Path, *, component_type: str, session_type: str, cap_bytes: int
) -> list[Rule]:
    """Built-ins first, then the repository's, keeping only those that apply."""
    by_name = {rule.name: rule for rule in builtin_rules()}
    for rule in workspace_rules(workspace, cap_bytes=cap_bytes):
        by_name[rule.name] = rule
    return [rule for rule in by_name.values() if rule.applies(component_type, session_type)]


def render_rules(rules: list[Rule]) -> str:
    if not rules:
        return "# Rules\n\n(none apply)"
    sections = [f'<rules source="{rule.source}">\n{rule.body}\n</rules>' for rule in rules]
    return "# Rules for this component\n\n" + "\n\n".join(sections)
