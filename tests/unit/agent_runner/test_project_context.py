"""The project's description from its README: the first paragraph of prose."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_agent_runner.project_context import MAX_DESCRIPTION, first_paragraph, project_context
from cts_contracts import Step
from cts_testing.factories import step_request


@pytest.mark.parametrize(
    ("readme", "paragraph"),
    [
        ("# Shop\n\nSells chairs\nand tables.\n\nMore.\n", "Sells chairs and tables."),
        ("<p align=center><img src=x></p>\n\n[![b](u)](l)\n![logo](x.png)\n\nReal text.\n",
         "Real text."),
        ("Title\n=====\n\n```sh\nmix setup\n```\n\nAfter the fence.\n", "After the fence."),
        ("# Only headings\n\n## And more\n", None),
        ("| a | b |\n|---|---|\n\n---\n\nProse after a rule.\n", "Prose after a rule."),
    ],
)  # fmt: skip
def test_the_first_paragraph_of_prose(readme: str, paragraph: str | None) -> None:
    assert first_paragraph(readme) == paragraph


def test_a_long_paragraph_is_cut_at_a_word() -> None:
    text = first_paragraph("word " * 400)
    assert text is not None
    assert len(text) <= MAX_DESCRIPTION
    assert text.endswith("word…")


def test_a_readme_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("The secret paragraph.\n")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "README.md").symlink_to(secret)
    context = project_context(workspace, step_request(Step.GENERATE_TESTS_AND_FIXTURES))
    assert context.description is None
