"""Opening files beneath a root without following links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cts_runtime import beneath


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "ws" / "lib").mkdir(parents=True)
    (tmp_path / "ws" / "lib" / "a.ex").write_text("alpha")
    (tmp_path / "secret").write_text("SECRET")
    return tmp_path / "ws"


@pytest.mark.parametrize("path", ["../secret", "/etc/passwd", "lib/../../secret", "a\\b", "x\x00"])
def test_paths_that_leave_the_root_as_text_are_refused(root: Path, path: str) -> None:
    with pytest.raises(beneath.NotBeneath):
        beneath.read_capped(root, path, 100)


def test_a_link_anywhere_on_the_path_is_refused(root: Path) -> None:
    os.symlink(root.parent / "secret", root / "lib" / "file_link")
    os.symlink(root.parent, root / "dir_link")
    os.symlink(root / "lib", root / "inner_link")
    for path in ("lib/file_link", "dir_link/secret", "inner_link/a.ex"):
        with pytest.raises(beneath.NotBeneath):
            beneath.read_capped(root, path, 100)
    assert beneath.read_text(root, "dir_link/secret", 100) is None
    assert not beneath.is_regular_file(root, "lib/file_link")


def test_reads_are_capped_while_streaming(root: Path) -> None:
    (root / "big").write_bytes(b"x" * 200_000)
    assert beneath.read_capped(root, "big", 10) == (b"x" * 10, True)
    assert beneath.read_capped(root, "lib/a.ex", 5) == (b"alpha", False)
    assert beneath.read_text(root, "lib/a.ex", 100) == "alpha"
    assert beneath.read_text(root, "missing", 100) is None
    assert beneath.read_text(root, None, 100) is None


def test_writes_create_directories_and_refuse_links_and_non_files(root: Path) -> None:
    beneath.write_file(root, "test/support/new/x.ex", b"new")
    assert (root / "test" / "support" / "new" / "x.ex").read_bytes() == b"new"
    beneath.write_file(root, "test/support/new/x.ex", b"v2")
    assert (root / "test" / "support" / "new" / "x.ex").read_bytes() == b"v2"
    os.symlink(root.parent / "secret", root / "test" / "planted")
    with pytest.raises(beneath.NotBeneath):
        beneath.write_file(root, "test/planted", b"payload")
    os.symlink(root.parent, root / "test" / "up")
    with pytest.raises(beneath.NotBeneath):
        beneath.write_file(root, "test/up/secret", b"payload")
    os.mkfifo(root / "test" / "fifo")
    with pytest.raises(beneath.NotBeneath):
        beneath.write_file(root, "test/fifo", b"payload")
    assert (root.parent / "secret").read_text() == "SECRET"
