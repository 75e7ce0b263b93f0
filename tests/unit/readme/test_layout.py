"""The README's Layout names every folder of the tree, and every service has a README that
says what it consumes, publishes and owns, and its settings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text()
LAYOUT = README.split("## Layout", 1)[1].split("```", 2)[1]
GROUPS = ("libs", "tests", "deploy")


def _folders() -> list[str]:
    """Every tracked top-level folder, and every folder one level into libs/, tests/, deploy/."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    folders = set()
    for path in tracked:
        parts = path.split("/")
        if len(parts) > 1 and not parts[0].startswith("."):
            folders.add(parts[0])
        if len(parts) > 2 and parts[0] in GROUPS:
            folders.add(f"{parts[0]}/{parts[1]}")
    return sorted(folders - set(GROUPS))


@pytest.mark.parametrize("folder", _folders())
def test_the_layout_names_every_folder(folder: str) -> None:
    assert re.search(rf"^{re.escape(folder)}/", LAYOUT, re.M), f"{folder}/ is not in the Layout"


@pytest.mark.parametrize("service", sorted(p.name for p in (ROOT / "services").iterdir()))
def test_every_service_says_what_it_consumes_publishes_owns_and_reads(service: str) -> None:
    text = (ROOT / "services" / service / "README.md").read_text()
    for row in ("| consumes |", "| publishes |", "| owns |", "| settings |"):
        assert row in text, f"services/{service}/README.md has no {row.strip('| ')} row"


def test_the_readme_points_at_nothing_outside_the_repository() -> None:
    assert not re.search(r"(^|[\s(`])\.\./", README, re.M), "a path above the repository"
    assert "DESIGN.md" not in README
