"""The jail: textual checks and the write allow-list (links are refused where files are
opened: ``test_tools`` and ``tests/unit/runtime/test_beneath``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_agent_runner.jail import Jail, Refused

TEST_FILE = "test/my_app/thing_test.exs"
FIXTURE_FILE = "test/support/fixtures/thing_fixtures.ex"


@pytest.fixture
def jail(tmp_path: Path) -> Jail:
    root = tmp_path / "ws"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "thing.ex").write_text("defmodule Thing do\nend\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("url = https://token@example.com/x.git\n")
    return Jail(root, writable=(TEST_FILE, FIXTURE_FILE), writable_dirs=("test/support",))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../x", "'..' is not allowed"),
        ("test/../../x", "'..' is not allowed"),
        ("/etc/passwd", "absolute paths are not allowed"),
        ("C:/windows", "absolute paths are not allowed"),
        ("~/.ssh/id_rsa", "absolute paths are not allowed"),
        ("lib/thing.ex\x00.txt", "NUL byte"),
        ("lib\\thing.ex", "'/' as the path separator"),
        (".git/config", ".git/ is not accessible"),
        ("deps/x/.git/config", ".git/ is not accessible"),
        ("", "a file path is required"),
        ("test/" + "a" * 400, "limited to 400 characters"),
    ],
)
def test_paths_refused_as_text(jail: Jail, path: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        jail.relative(path)


def test_a_non_string_path_is_refused(jail: Jail) -> None:
    with pytest.raises(Refused, match="must be a string"):
        jail.relative(["lib"])


def test_paths_are_normalized(jail: Jail) -> None:
    assert jail.relative("./lib//thing.ex") == "lib/thing.ex"
    assert jail.relative(".", allow_root=True) == ""


@pytest.mark.parametrize("path", [TEST_FILE, FIXTURE_FILE, "test/support/helpers/case.ex"])
def test_the_session_files_and_test_support_are_writable(jail: Jail, path: str) -> None:
    assert jail.writable(path) == path


@pytest.mark.parametrize(
    "path", ["lib/thing.ex", "lib/new.ex", "mix.exs", "test/other_test.exs", "test/supportx/a.ex"]
)
def test_other_writes_are_refused_naming_what_is_allowed(jail: Jail, path: str) -> None:
    with pytest.raises(Refused, match=rf"writing '{path}' is not allowed.*{TEST_FILE}"):
        jail.writable(path)
