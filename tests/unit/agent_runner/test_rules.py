"""Rules selection: CodeMySpec's front matter (or none), exact-or-star matching, the
repository's files after the built-ins and over them, and every skipped file reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_agent_runner.front_matter import Unreadable, parse
from cts_agent_runner.rules import MAX_RULE_FILES, builtin_rules, load_rules, render_rules


def write_rule(root: Path, name: str, text: str) -> None:
    folder = root / "docs" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def rule_text(component_type: str, session_type: str, body: str) -> str:
    return f"---\ncomponent_type: {component_type}\nsession_type: {session_type}\n---\n{body}\n"


def load(root: Path, component_type: str = "repository", cap_bytes: int = 10_000):  # type: ignore[no-untyped-def]
    return load_rules(root, component_type=component_type, session_type="component_test",
                      cap_bytes=cap_bytes)  # fmt: skip


def test_front_matter_is_parsed_and_the_body_kept() -> None:
    parsed = parse(rule_text("schema", '"*"', "# Body\n- one"))
    assert (parsed.component_types, parsed.session_types) == (("schema",), ("*",))
    assert parsed.body == "# Body\n- one"
    listed = parse("---\ncomponent_type: [repository, schema]\ntitle: x\n---\nB")
    assert (listed.component_types, listed.session_types) == (("repository", "schema"), ("*",))


def test_a_file_without_front_matter_applies_to_every_session(tmp_path: Path) -> None:
    write_rule(tmp_path, "house.md", "# House style\n\n- Name tests in the present tense.\n")
    for component_type in ("repository", "liveview", "anything"):
        found = load(tmp_path, component_type)
        assert "docs/rules/house.md" in found.sources
    house = next(r for r in load(tmp_path).applied if r.name == "house.md")
    assert house.body.startswith("# House style")


@pytest.mark.parametrize(
    ("session_type", "applies"),
    [("test", True), ("component_test", True), ('"*"', True), ("code", False), ("design", False)],
)
def test_codemyspecs_session_type_test_is_this_session(
    tmp_path: Path, session_type: str, applies: bool
) -> None:
    write_rule(tmp_path, "cms.md", rule_text("repository", session_type, "CodeMySpec rule"))
    assert ("docs/rules/cms.md" in load(tmp_path).sources) is applies


@pytest.mark.parametrize(
    "text",
    ["---\n: [unclosed\n---\nbody", "---\n- a list\n---\nbody", "---\ncomponent_type: x\nbody",
     "---\ncomponent_type: {a: 1}\n---\nbody"],
)  # fmt: skip
def test_unusable_front_matter_is_skipped_and_said(tmp_path: Path, text: str) -> None:
    with pytest.raises(Unreadable):
        parse(text)
    write_rule(tmp_path, "broken.md", text)
    found = load(tmp_path)
    assert "docs/rules/broken.md" not in found.sources
    assert [w.split(":")[0] for w in found.warnings] == ["docs/rules/broken.md skipped"]


@pytest.mark.parametrize(
    ("component_type", "session_type", "applies"),
    [
        ("repository", "component_test", True),
        ("*", "component_test", True),
        ("repository", "*", True),
        ("schema", "component_test", False),
        ("repository", "other_session", False),
        ("repo*", "component_test", False),
    ],
)
def test_both_fields_must_match_exactly_or_be_a_star(
    tmp_path: Path, component_type: str, session_type: str, applies: bool
) -> None:
    write_rule(tmp_path, "mine.md", rule_text(f'"{component_type}"', f'"{session_type}"', "X"))
    assert ("docs/rules/mine.md" in load(tmp_path).sources) is applies


def test_the_repositorys_rules_come_after_the_builtins_and_replace_a_namesake(
    tmp_path: Path,
) -> None:
    write_rule(tmp_path, "fixtures.md", rule_text('"*"', '"*"', "Our own fixtures rule."))
    write_rule(tmp_path, "a_first.md", "No front matter.")
    found = load(tmp_path, "x")
    assert found.sources == [
        "built-in/exunit_tests.md", "docs/rules/a_first.md", "docs/rules/fixtures.md"
    ]  # fmt: skip
    rendered = render_rules(found.applied)
    assert '<rules source="docs/rules/fixtures.md">\nOur own fixtures rule.\n</rules>' in rendered
    assert "win wherever they disagree" in rendered
    assert rendered.index("built-in/exunit_tests.md") < rendered.index("docs/rules/a_first.md")


def test_oversized_linked_and_surplus_rule_files_are_skipped_with_a_reason(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    write_rule(workspace, "big.md", rule_text('"*"', '"*"', "x" * 2000))
    outside = tmp_path / "outside.md"
    outside.write_text(rule_text('"*"', '"*"', "from outside"))
    (workspace / "docs" / "rules" / "link.md").symlink_to(outside)
    found = load(workspace, "x", cap_bytes=1024)
    assert found.sources == ["built-in/exunit_tests.md", "built-in/fixtures.md"]
    assert sorted(w.split(" skipped")[0] for w in found.warnings) == [
        "docs/rules/big.md", "docs/rules/link.md"
    ]  # fmt: skip
    for n in range(MAX_RULE_FILES + 2):
        write_rule(workspace, f"r{n:02}.md", "Rule.")
    assert any("only the first 20 of" in w for w in load(workspace, "x").warnings)


def test_a_rules_folder_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_rule(elsewhere, "x.md", "Rule.")
    (tmp_path / "ws" / "docs").mkdir(parents=True)
    (tmp_path / "ws" / "docs" / "rules").symlink_to(elsewhere / "docs" / "rules")
    found = load(tmp_path / "ws", "x")
    assert "docs/rules/x.md" not in found.sources
    assert found.warnings
    assert found.warnings[0].startswith("docs/rules not read")


ALWAYS = {"exunit_tests.md", "fixtures.md"}


@pytest.mark.parametrize(
    ("component_type", "specific"),
    [
        ("repository", {"repository_tests.md"}),
        ("schema", {"schema_tests.md"}),
        ("embedded_schema", {"schema_tests.md"}),
        ("context", {"context_tests.md"}),
        ("coordination_context", {"context_tests.md"}),
        ("liveview", {"liveview_tests.md"}),
        ("live_view", {"liveview_tests.md"}),
        ("controller", {"controller_tests.md"}),
        ("json_controller", {"controller_tests.md"}),
        ("genserver", {"genserver_tests.md"}),
        ("registry", {"genserver_tests.md"}),
        ("service", set()),
        ("other", set()),
    ],
)
def test_each_builtin_rule_is_selected_by_its_component_types(
    tmp_path: Path, component_type: str, specific: set[str]
) -> None:
    names = {rule.name for rule in load(tmp_path, component_type).applied}
    assert names == ALWAYS | specific


def test_every_builtin_is_short_says_where_it_applies_and_covers_red_mode() -> None:
    for rule in builtin_rules():
        assert rule.session_types == ("component_test",), rule.name
        assert len(rule.body.splitlines()) <= 30, f"{rule.name} is no longer short"
        if rule.component_types != ("*",):
            assert "Red:" in rule.body, f"{rule.name} says nothing about red mode"


@pytest.mark.parametrize(
    ("component_type", "template"),
    [("repository", "DataCase"), ("schema", "DataCase"), ("context", "DataCase"),
     ("liveview", "ConnCase"), ("controller", "ConnCase"), ("genserver", "start_supervised!")],
)  # fmt: skip
def test_database_and_web_components_are_not_told_to_use_a_plain_async_case(
    tmp_path: Path, component_type: str, template: str
) -> None:
    rendered = render_rules(load(tmp_path, component_type).applied)
    assert template in rendered
    general = next(r for r in builtin_rules() if r.name == "exunit_tests.md").body
    assert "start it with `use ExUnit.Case, async: true`" not in general
    for practice in ("errors_on" if template == "DataCase" else template, "capture_log",
                     "No mocks", "`rescue`"):  # fmt: skip
        assert practice in rendered, practice
