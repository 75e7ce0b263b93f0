"""The README's code blocks, for the tests that validate or run them."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str, text: str | None = None) -> list[str]:
    """Every fenced block of ``language``, without its fences."""
    source = README.read_text() if text is None else text
    return re.findall(rf"^```{language}\n(.*?)^```", source, re.MULTILINE | re.DOTALL)


def marked_block(name: str, text: str | None = None) -> str:
    """The bash block right after ``<!-- example: <name> -->``."""
    source = README.read_text() if text is None else text
    found = re.search(rf"<!-- example: {name} -->\n```bash\n(.*?)^```", source, re.M | re.S)
    if found is None:
        raise LookupError(f"README has no block marked 'example: {name}'")
    return found.group(1)
