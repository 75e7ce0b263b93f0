"""Committed JSON Schemas and AsyncAPI stay current, and v1 shapes only change compatibly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cts_contracts import Component
from cts_contracts.schema_export import EVENTS, SCHEMA_DIR, breaking_changes, current_schema, render
from cts_contracts.session_requested import DEFAULTED_FROM_MODULE_NAME
from cts_runtime.catalogue import TARGET
from cts_runtime.catalogue import render as render_asyncapi

BASE: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
    "required": ["a"],
}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_committed_schema_is_current_and_compatible(name: str) -> None:
    committed = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    current = current_schema(EVENTS[name])
    assert breaking_changes(committed, current) == []
    assert render(current) == render(committed), "run `make schemas` and commit the result"


def test_asyncapi_document_is_not_stale() -> None:
    assert TARGET.read_text() == render_asyncapi(), "run `make schemas` and commit the result"


def test_adding_an_optional_field_is_compatible() -> None:
    grown = {**BASE, "properties": {**BASE["properties"], "c": {"type": "string"}}}
    assert breaking_changes(BASE, grown) == []


def test_a_required_field_becoming_optional_is_compatible() -> None:
    assert breaking_changes(BASE, {**BASE, "required": []}) == []


def test_removed_field_is_breaking() -> None:
    shrunk = {**BASE, "properties": {"a": {"type": "string"}}}
    assert breaking_changes(BASE, shrunk) == ["$.b: field removed"]


def test_new_required_field_is_breaking() -> None:
    stricter = {**BASE, "required": ["a", "b"]}
    assert breaking_changes(BASE, stricter) == ["$.b: field became required"]


def test_narrowed_type_is_breaking() -> None:
    narrowed = {**BASE, "properties": {**BASE["properties"], "b": {"enum": [1, 2]}}}
    assert breaking_changes(BASE, narrowed) == ["$.b: type narrowed (no longer accepts integer)"]


def test_removed_enum_value_in_a_nested_definition_is_breaking() -> None:
    old = {"$defs": {"E": {"enum": ["red", "green", "none"]}},
           "properties": {"x": {"$ref": "#/$defs/E"}}}  # fmt: skip
    new = {"$defs": {"E": {"enum": ["red", "green"]}}, "properties": {"x": {"$ref": "#/$defs/E"}}}
    assert breaking_changes(old, new) == ["$.x: type narrowed (no longer accepts enum:none)"]


def test_the_real_models_would_be_caught() -> None:
    committed = json.loads((SCHEMA_DIR / "session.requested.v1.json").read_text())
    tampered = json.loads(json.dumps(committed))
    del tampered["$defs"]["Repository"]["properties"]["push"]
    tampered["$defs"]["SessionOptions"]["required"] = ["model"]
    problems = breaking_changes(committed, tampered)
    assert "$.data.repository.push: field removed" in problems
    assert "$.data.options.model: field became required" in problems


def test_fields_defaulted_from_the_module_name_are_optional_and_described() -> None:
    schema = json.loads((SCHEMA_DIR / "session.requested.v1.json").read_text())
    component = schema["$defs"]["Component"]
    assert component["required"] == ["module_name", "type"]
    for field in DEFAULTED_FROM_MODULE_NAME:
        assert "Optional: defaults to" in component["properties"][field]["description"]
    minimal = {"module_name": "MyApp.Accounts.UserRepository", "type": "repository"}
    Draft202012Validator({**component, "$defs": schema["$defs"]}).validate(minimal)
    filled = Component.model_validate(minimal)
    for field, described in DEFAULTED_FROM_MODULE_NAME.items():
        assert str(getattr(filled, field)) in described, "the described default is the real one"
