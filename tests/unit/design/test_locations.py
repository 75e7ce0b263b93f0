"""Where a component's design and its parent's are looked for."""

from __future__ import annotations

from typing import Any

from cts_contracts import Component
from cts_design.locations import design_candidates, parent_design_candidates, parent_is_optional


def component(module: str = "MyApp.Accounts.UserRepository", **paths: Any) -> Component:
    return Component.model_validate({"module_name": module, "type": "repository", **paths})


def test_the_conventional_design_falls_back_to_codemyspecs_spec() -> None:
    assert design_candidates(component()) == [
        "docs/design/my_app/accounts/user_repository.md",
        "docs/spec/my_app/accounts/user_repository.spec.md",
    ]
    assert parent_design_candidates(component()) == [
        "docs/design/my_app/accounts.md",
        "docs/spec/my_app/accounts.spec.md",
    ]


def test_a_chosen_path_is_the_only_one_tried() -> None:
    chosen = component(design_file="specs/repo.md", parent_design_file="specs/accounts.md")
    assert design_candidates(chosen) == ["specs/repo.md"]
    assert parent_design_candidates(chosen) == ["specs/accounts.md"]


def test_only_the_applications_own_design_is_an_optional_parent() -> None:
    assert parent_is_optional(component("MyApp.Accounts")) is True
    assert parent_is_optional(component()) is False
    assert parent_is_optional(component("MyApp.Accounts", parent_design_file="docs/x.md")) is False
    assert parent_design_candidates(component("MyApp")) == []
