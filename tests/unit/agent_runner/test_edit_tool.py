"""edit_file: one exact, unique replacement in a file the session may write; anything else is
refused with what to do instead, and the file is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cts_agent_runner.jail import Jail
from cts_agent_runner.tools import ToolBox

TEST_FILE = "test/my_app/thing_test.exs"
SOURCE = (
    'defmodule ThingTest do\n  test "a" do\n    assert 1 == 1\n  end\n\n'
    '  test "b" do\n    assert 1 == 1\n  end\nend\n'
)


@pytest.fixture
def box(tmp_path: Path) -> ToolBox:
    root = tmp_path / "ws"
    (root / "test" / "my_app").mkdir(parents=True)
    (root / TEST_FILE).write_text(SOURCE)
    (root / "lib").mkdir()
    (root / "lib" / "thing.ex").write_text("defmodule Thing do\nend\n")
    jail = Jail(root, writable=(TEST_FILE,), writable_dirs=("test/support",))
    return ToolBox(jail, read_cap=64 * 1024, write_cap=1024)


async def edit(box: ToolBox, old: str, new: str, path: str = TEST_FILE):  # type: ignore[no-untyped-def]
    return await box.call("edit_file", {"path": path, "old_string": old, "new_string": new})


async def test_a_unique_exact_string_is_replaced_and_the_file_recorded(box: ToolBox) -> None:
    result = await edit(box, 'test "b" do\n    assert 1 == 1', 'test "b" do\n    assert 2 == 2')
    assert not result.is_error, result.text
    assert result.text.startswith(f"edited {TEST_FILE} at line 6")
    assert (box.jail.root / TEST_FILE).read_text() == SOURCE.replace(
        "1 == 1\n  end\nend", "2 == 2\n  end\nend"
    )
    assert box.written == [TEST_FILE]


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("assert 1 == 1", "assert true", "occurs 2 times"),
        ("assert 3 == 3", "x", "does not occur"),
        ("", "x", "is empty"),
        ('test "a"', 'test "a"', "the same"),
    ],
)
async def test_ambiguous_absent_or_empty_matches_are_refused(
    box: ToolBox, old: str, new: str, why: str
) -> None:
    result = await edit(box, old, new)
    assert result.is_error
    assert why in result.text
    assert (box.jail.root / TEST_FILE).read_text() == SOURCE
    assert box.written == []


async def test_the_write_allow_list_and_the_jail_apply(box: ToolBox, tmp_path: Path) -> None:
    refused = await edit(box, "Thing", "Other", path="lib/thing.ex")
    assert refused.is_error
    assert "writing 'lib/thing.ex' is not allowed" in refused.text
    outside = tmp_path / "outside_test.exs"
    outside.write_text("secret Thing")
    (box.jail.root / "test" / "support").mkdir()
    os.symlink(outside, box.jail.root / "test" / "support" / "link.ex")
    linked = await edit(box, "Thing", "Other", path="test/support/link.ex")
    assert linked.is_error
    assert "refused" in linked.text
    assert outside.read_text() == "secret Thing"
    missing = await edit(box, "x", "y", path="test/support/new.ex")
    assert missing.is_error
    assert "does not exist" in missing.text
    escaping = await edit(box, "x", "y", path="../outside_test.exs")
    assert escaping.is_error


async def test_an_edit_may_not_grow_a_file_past_the_write_cap(box: ToolBox) -> None:
    result = await edit(box, 'test "a"', 'test "a"' + "x" * 2000)
    assert result.is_error
    assert "over the write cap" in result.text
    assert (box.jail.root / TEST_FILE).read_text() == SOURCE
