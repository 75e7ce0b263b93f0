"""The file tools: answers for the model, refusals as error results, caps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cts_agent_runner.jail import Jail
from cts_agent_runner.tools import TOOL_SPECS, ToolBox

TEST_FILE = "test/my_app/thing_test.exs"


@pytest.fixture
def box(tmp_path: Path) -> ToolBox:
    root = tmp_path / "ws"
    (root / "lib" / "my_app").mkdir(parents=True)
    (root / "lib" / "my_app" / "thing.ex").write_text(
        "defmodule MyApp.Thing do\n  def go, do: :ok\nend\n"
    )
    (root / "_build").mkdir()
    (root / "_build" / "junk.beam").write_text("x")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    jail = Jail(root, writable=(TEST_FILE,), writable_dirs=("test/support",))
    return ToolBox(jail, read_cap=64, write_cap=100)


def test_five_tools_are_offered_with_schemas() -> None:
    assert [spec["name"] for spec in TOOL_SPECS] == [
        "list_files",
        "read_file",
        "write_file",
        "edit_file",
        "search",
    ]
    assert all(spec["input_schema"]["type"] == "object" for spec in TOOL_SPECS)


async def test_list_files_skips_build_output_and_git(box: ToolBox) -> None:
    result = await box.call("list_files", {"dir": "."})
    assert not result.is_error
    assert result.text.splitlines() == ["lib/", "lib/my_app/", "lib/my_app/thing.ex"]


async def test_read_file_by_lines(box: ToolBox) -> None:
    result = await box.call("read_file", {"path": "lib/my_app/thing.ex", "offset": 2, "limit": 1})
    assert result.text == "[lib/my_app/thing.ex: lines 2-2 of 3]\n  def go, do: :ok\n"


async def test_read_file_is_capped_and_says_so(box: ToolBox, tmp_path: Path) -> None:
    (box.jail.root / "lib" / "big.ex").write_text("x" * 50 + "\n" + "y" * 50 + "\n")
    result = await box.call("read_file", {"path": "lib/big.ex"})
    assert "cut at the read size cap" in result.text
    assert result.text.endswith("x" * 50 + "\n" + "y" * 13)


async def test_write_file_records_the_file_once(box: ToolBox) -> None:
    for _ in range(2):
        result = await box.call(
            "write_file", {"path": TEST_FILE, "content": "defmodule T do\nend\n"}
        )
        assert result.text == f"wrote {TEST_FILE} (19 bytes)"
    assert (box.jail.root / TEST_FILE).read_text() == "defmodule T do\nend\n"
    assert box.written == [TEST_FILE]


async def test_refusals_are_error_results_and_nothing_is_written(box: ToolBox) -> None:
    attempts = [
        ("write_file", {"path": "lib/my_app/thing.ex", "content": "hacked"}),
        ("write_file", {"path": "../escape.ex", "content": "x"}),
        ("write_file", {"path": "/tmp/abs.ex", "content": "x"}),
        ("write_file", {"path": TEST_FILE, "content": "x" * 101}),
        ("read_file", {"path": ".git/HEAD"}),
        ("read_file", {"path": "a\x00b"}),
    ]
    for name, arguments in attempts:
        result = await box.call(name, arguments)
        assert result.is_error, (name, arguments)
        assert result.text.startswith("refused: ")
    assert (box.jail.root / "lib" / "my_app" / "thing.ex").read_text().startswith("defmodule")
    assert not (box.jail.root / TEST_FILE).exists()
    assert box.written == []


async def test_bad_calls_are_error_results(box: ToolBox) -> None:
    assert (await box.call("rm_rf", {})).text == "unknown tool 'rm_rf'"
    assert (await box.call("read_file", "lib")).text == "the tool input must be an object"
    missing = await box.call("read_file", {"path": "lib/none.ex"})
    assert (missing.is_error, missing.text) == (True, "'lib/none.ex' does not exist")
    not_text = await box.call("write_file", {"path": TEST_FILE, "content": 3})
    assert not_text.is_error
    bad_offset = await box.call("read_file", {"path": "lib/my_app/thing.ex", "offset": "x"})
    assert bad_offset.is_error
    assert bad_offset.text.startswith("read_file failed: ValueError")


async def test_search_finds_literal_text_outside_skipped_dirs(box: ToolBox) -> None:
    (box.jail.root / "_build" / "more.ex").write_text("def go")
    os.symlink(box.jail.root / "lib" / "my_app" / "thing.ex", box.jail.root / "lib" / "link.ex")
    result = await box.call("search", {"pattern": "def go"})
    assert result.text == "lib/my_app/thing.ex:2:   def go, do: :ok"
    assert (await box.call("search", {"pattern": "(.*)*"})).text == "no matches"
    assert (await box.call("search", {"pattern": ""})).is_error


async def test_links_are_refused_never_followed_even_inside_the_workspace(
    box: ToolBox, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    root = box.jail.root
    os.symlink(secret, root / "lib" / "escape.txt")
    os.symlink(tmp_path, root / "outside")
    os.symlink(root / ".git" / "HEAD", root / "lib" / "head")
    os.symlink(root / "lib" / "my_app" / "thing.ex", root / "lib" / "inner.ex")
    for path in ("lib/escape.txt", "outside/secret.txt", "lib/head", "lib/inner.ex"):
        result = await box.call("read_file", {"path": path})
        assert result.is_error, path
        assert result.text.startswith("refused: "), result.text
        assert "top secret" not in result.text
    listing = (await box.call("list_files", {"dir": "lib"})).text
    assert "lib/inner.ex -> " in listing
    assert "(a symbolic link: not followed)" in listing


async def test_a_write_through_an_inner_symlink_is_refused(box: ToolBox) -> None:
    root = box.jail.root
    (root / "test" / "support").mkdir(parents=True)
    os.symlink(root / "lib", root / "test" / "support" / "lib_link")
    result = await box.call(
        "write_file", {"path": "test/support/lib_link/thing.ex", "content": "x"}
    )
    assert result.is_error
    assert result.text.startswith("refused: ")
    assert (root / "lib" / "my_app" / "thing.ex").read_text().startswith("defmodule")
    assert not (root / "lib" / "thing.ex").exists()


async def test_a_write_never_follows_a_symlink_at_the_target(box: ToolBox, tmp_path: Path) -> None:
    outside = tmp_path / "victim.txt"
    outside.write_text("unchanged")
    (box.jail.root / "test" / "support").mkdir(parents=True)
    os.symlink(outside, box.jail.root / "test" / "support" / "x.ex")
    result = await box.call("write_file", {"path": "test/support/x.ex", "content": "payload"})
    assert result.is_error
    assert outside.read_text() == "unchanged"
    assert box.written == []


async def test_a_directory_or_fifo_is_not_read(box: ToolBox) -> None:
    os.mkfifo(box.jail.root / "lib" / "pipe")
    for path in ("lib", "lib/pipe"):
        result = await box.call("read_file", {"path": path})
        assert (result.is_error, result.text) == (True, f"refused: {path!r} is not a regular file")


async def test_line_counts_and_offsets_stream_through_the_file(box: ToolBox) -> None:
    (box.jail.root / "lib" / "many.ex").write_text("".join(f"line {n}\n" for n in range(1, 10_001)))
    result = await box.call("read_file", {"path": "lib/many.ex", "offset": 9_999, "limit": 5})
    assert result.text == "[lib/many.ex: lines 9999-10000 of 10000]\nline 9999\nline 10000\n"
    (box.jail.root / "lib" / "tail.ex").write_text("a\nb")
    tail = await box.call("read_file", {"path": "lib/tail.ex"})
    assert tail.text == "[lib/tail.ex: lines 1-2 of 2]\na\nb"


async def test_a_long_file_is_written_in_parts_up_to_four_write_caps(box: ToolBox) -> None:
    first = await box.call("write_file", {"path": TEST_FILE, "content": "a" * 100})
    assert not first.is_error
    for _ in range(3):
        more = await box.call("write_file", {"path": TEST_FILE, "content": "b" * 100,
                                             "append": True})  # fmt: skip
        assert not more.is_error, more.text
    assert more.text == f"appended to {TEST_FILE} (now 400 bytes)"
    over = await box.call("write_file", {"path": TEST_FILE, "content": "c", "append": True})
    assert over.is_error
    assert over.text == f"refused: {TEST_FILE} would grow to 401 bytes, over the 400-byte cap"
    assert (box.jail.root / TEST_FILE).read_text() == "a" * 100 + "b" * 300
    assert box.written == [TEST_FILE]
    replaced = await box.call("write_file", {"path": TEST_FILE, "content": "new"})
    assert not replaced.is_error
    assert (box.jail.root / TEST_FILE).read_text() == "new"


async def test_appending_goes_through_no_symlink(box: ToolBox, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    link = box.jail.root / "test" / "support" / "link.ex"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    result = await box.call("write_file", {"path": "test/support/link.ex", "content": "x",
                                           "append": True})  # fmt: skip
    assert result.is_error
    assert outside.read_text() == "keep"
