"""JSON Schemas of the events, and the rule that a published v1 shape only grows compatibly.

``python -m cts_contracts.schema_export`` rewrites ``contracts/schemas/`` and refuses to write a
schema that would break consumers of the committed one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cts_contracts.dead_letter import DeadLetter
from cts_contracts.session_finished import SessionFinished
from cts_contracts.session_requested import SessionRequested
from cts_contracts.step_completed import StepCompleted
from cts_contracts.step_requested import StepRequested

EVENTS: dict[str, type[BaseModel]] = {
    "session.requested.v1": SessionRequested,
    "step.requested.v1": StepRequested,
    "step.completed.v1": StepCompleted,
    "session.finished.v1": SessionFinished,
    "deadletter.v1": DeadLetter,
}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

Schema = dict[str, Any]


def current_schema(model: type[BaseModel]) -> Schema:
    # Validation mode: the schema says what a producer may send and the consumer accepts.
    return model.model_json_schema(mode="validation")


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What a consumer or producer of ``old`` would trip on under ``new``."""
    comparer = _Comparer(old, new)
    comparer.compare(old, new, "$")
    return comparer.problems


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {}).get(name, {})
    return node


def _types(node: Schema, root: Schema) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node or "oneOf" in node:
        out: set[str] = set()
        options: list[Schema] = node.get("anyOf") or node.get("oneOf") or []
        for option in options:
            out |= _types(option, root)
        return out
    if "const" in node:
        return {f"const:{node['const']}"}
    if "enum" in node:
        return {f"enum:{value}" for value in node["enum"]}
    kind = node.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"any"}


class _Comparer:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._seen: set[tuple[str, str]] = set()

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        old, new = _resolve(old, self.old_root), _resolve(new, self.new_root)
        key = (path, json.dumps(old, sort_keys=True))
        if key in self._seen:
            return
        self._seen.add(key)
        old_types, new_types = _types(old, self.old_root), _types(new, self.new_root)
        if "any" not in new_types and not old_types <= new_types:
            lost = ", ".join(sorted(old_types - new_types))
            self.problems.append(f"{path}: type narrowed (no longer accepts {lost})")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name in old_props:
            if name not in new_props:
                self.problems.append(f"{path}.{name}: field removed")
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            self.problems.append(f"{path}.{name}: field became required")
        for name, old_prop in old_props.items():
            if name in new_props:
                self.compare(old_prop, new_props[name], f"{path}.{name}")
        for branch in ("anyOf", "oneOf"):
            for option in old.get(branch, []):
                resolved = _resolve(option, self.old_root)
                match = self._matching(resolved, new.get(branch, []))
                if match is not None:
                    self.compare(resolved, match, path)
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{path}[]")

    def _matching(self, option: Schema, candidates: list[Schema]) -> Schema | None:
        title = option.get("title")
        for candidate in candidates:
            resolved = _resolve(candidate, self.new_root)
            if title and resolved.get("title") == title:
                return resolved
        return None


def export(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema; returns the problems that stopped a write (empty on success)."""
    directory.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for name, model in EVENTS.items():
        target = directory / f"{name}.json"
        schema = current_schema(model)
        if target.exists():
            broken = breaking_changes(json.loads(target.read_text()), schema)
            if broken:
                problems += [f"{name}: {p}" for p in broken]
                continue
        target.write_text(render(schema))
    return problems


def main() -> int:
    problems = export()
    for problem in problems:
        print(f"incompatible: {problem}", file=sys.stderr)
    if problems:
        print("a breaking change needs a new .v2 event beside .v1", file=sys.stderr)
        return 1
    print(f"wrote {len(EVENTS)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
