"""Rules selection: front matter, exact-or-star matching, repository files over built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_agent_runner.rules import builtin_rules, load_rules, parse_rule, render_rules


def write_rule(root: Path, name: str, text: str) -> None:
    folder = root / "docs" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def rule_text(component_type: str, session_type: str, body: str) -> str:
    return f"---\ncomponent_type: {component_type}\nsession_type: {session_type}\n---\n{body}\n"


def test_builtins_cover_exunit_tests_and_fixtures_for_every_component() -> None:
    names = {rule.name for rule in builtin_rules()}
    assert names == {"exunit_tests.md", "fixtures.md"}
    assert all(rule.applies("anything", "component_test") for rule in builtin_rules())
    tests_rule = next(r for r in builtin_rules() if r.name == "exunit_tests.md")
    assert 'describe "fun/arity"' in tests_rule.body


def test_front_matter_is_parsed_and_the_body_kept() -> None:
    rule = parse_rule("r.md", "docs/rules/r.md", rule_text("schema", '"*"', "# Body\n- one"))
    assert rule is not None
    assert (rule.component_type, rule.session_type) == ("schema", "*")
    assert rule.body == "# Body\n- one"


@pytest.mark.parametrize(
    "text", ["no front matter", "---\n: [unclosed\n---\nbody", "---\n- a list\n---\nbody"]
)
def test_unusable_front_matter_is_ignored(text: str) -> None:
    assert parse_rule("r.md", "docs/rules/r.md", text) is None


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
    rules = load_rules(tmp_path, component_type="repository", session_type="component_test",
                       cap_bytes=10_000)  # fmt: skip
    assert ("mine.md" in {r.name for r in rules}) is applies


def test_a_repository_file_replaces_the_builtin_of_the_same_name(tmp_path: Path) -> None:
    write_rule(tmp_path, "fixtures.md", rule_text('"*"', '"*"', "Our own fixtures rule."))
    rules = load_rules(tmp_path, component_type="x", session_type="component_test",
                       cap_bytes=10_000)  # fmt: skip
    by_name = {rule.name: rule for rule in rules}
    assert by_name["fixtures.md"].source == "docs/rules/fixtures.md"
    assert by_name["exunit_tests.md"].source == "built-in exunit_tests.md"
    rendered = render_rules(rules)
    assert '<rules source="docs/rules/fixtures.md">\nOur own fixtures rule.\n</rules>' in rendered


def test_oversized_and_escaping_rule_files_are_skipped(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    write_rule(workspace, "big.md", rule_text('"*"', '"*"', "x" * 2000))
    outside = tmp_path / "outside.md"
    outside.write_text(rule_text('"*"', '"*"', "from outside"))
    (workspace / "docs" / "rules" / "link.md").symlink_to(outside)
    rules = load_rules(workspace, component_type="x", session_type="component_test",
                       cap_bytes=1024)  # fmt: skip
    assert {r.name for r in rules} == {"exunit_tests.md", "fixtures.md"}
