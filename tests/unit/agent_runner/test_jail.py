"""The jail: textual checks, symlink checks, and the write allow-list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cts_agent_runner.jail import Jail, Refused, write_text_nofollow

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
        ("", "a file path is required"),
        ("test/" + "a" * 400, "limited to 400 characters"),
    ],
)
def test_paths_refused_as_text(jail: Jail, path: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        jail.readable(path)


def test_a_non_string_path_is_refused(jail: Jail) -> None:
    with pytest.raises(Refused, match="must be a string"):
        jail.readable(["lib"])


def test_reads_inside_the_workspace_are_allowed_and_normalized(jail: Jail) -> None:
    assert jail.readable("./lib//thing.ex") == jail.root / "lib" / "thing.ex"
    assert jail.readable(".", allow_root=True) == jail.root


def test_a_symlink_escaping_the_workspace_is_refused(jail: Jail, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    os.symlink(secret, jail.root / "lib" / "escape.txt")
    os.symlink(tmp_path, jail.root / "outside")
    with pytest.raises(Refused, match="resolves outside the workspace"):
        jail.readable("lib/escape.txt")
    with pytest.raises(Refused, match="resolves outside the workspace"):
        jail.readable("outside/secret.txt")


def test_a_symlink_into_git_is_refused(jail: Jail) -> None:
    os.symlink(jail.root / ".git" / "config", jail.root / "lib" / "cfg")
    with pytest.raises(Refused, match=r"resolves into \.git/"):
        jail.readable("lib/cfg")


@pytest.mark.parametrize("path", [TEST_FILE, FIXTURE_FILE, "test/support/helpers/case.ex"])
def test_the_session_files_and_test_support_are_writable(jail: Jail, path: str) -> None:
    relative, target = jail.writable(path)
    assert relative == path
    assert target == jail.root / path


@pytest.mark.parametrize(
    "path", ["lib/thing.ex", "lib/new.ex", "mix.exs", "test/other_test.exs", "test/supportx/a.ex"]
)
def test_other_writes_are_refused_naming_what_is_allowed(jail: Jail, path: str) -> None:
    with pytest.raises(Refused, match=rf"writing '{path}' is not allowed.*{TEST_FILE}"):
        jail.writable(path)


def test_a_write_through_an_inner_symlink_is_refused(jail: Jail) -> None:
    (jail.root / "test" / "support").mkdir(parents=True)
    os.symlink(jail.root / "lib", jail.root / "test" / "support" / "lib_link")
    with pytest.raises(Refused, match="goes through a symlink"):
        jail.writable("test/support/lib_link/thing.ex")


def test_the_write_does_not_follow_a_symlink_planted_after_the_check(
    jail: Jail, tmp_path: Path
) -> None:
    relative, target = jail.writable(FIXTURE_FILE)
    target.parent.mkdir(parents=True)
    outside = tmp_path / "victim.txt"
    outside.write_text("unchanged")
    os.symlink(outside, target)
    with pytest.raises(OSError, match=r"symbolic link"):
        write_text_nofollow(target, "payload")
    assert outside.read_text() == "unchanged"
    assert relative == FIXTURE_FILE
