"""The client library is a client: it needs no test helpers (the demo, which starts the
stack and the services, is its own package)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[3] / "libs" / "cts-client" / "pyproject.toml"


def test_the_client_package_does_not_depend_on_test_helpers() -> None:
    dependencies = tomllib.loads(CLIENT.read_text())["project"]["dependencies"]
    assert not [d for d in dependencies if d.startswith(("cts-testing", "cts-demo"))]


def test_the_cli_loads_without_test_helpers_or_services() -> None:
    probe = (
        "import sys, cts_client.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('cts_')}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "cts_testing" not in loaded
    assert "cts_demo" not in loaded
    assert "cts_orchestrator" not in loaded
