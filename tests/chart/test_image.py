"""The Dockerfile and the image's entry point, checked statically (no Docker engine here)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, Render

DOCKERFILE = (REPO / "Dockerfile").read_text()
ENTRYPOINT = REPO / "deploy" / "docker" / "entrypoint.sh"


def entry_points() -> dict[str, str]:
    """``cts-entrypoint`` command -> the Python module it runs."""
    pattern = re.compile(r"^\s*([a-z-]+)\)\s+exec python -m ([a-z_.]+)", re.MULTILINE)
    return dict(pattern.findall(ENTRYPOINT.read_text()))


def stage(name: str) -> str:
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


def test_every_service_named_in_compose_and_helm_has_an_entry_point_module(
    render: Render,
) -> None:
    commands = entry_points()
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    named = {s["command"][0] for s in compose["services"].values() if "command" in s}
    for manifest in render("autoscaling.enabled=true"):
        if manifest["kind"] in ("Deployment", "Job"):
            for container in manifest["spec"]["template"]["spec"]["containers"]:
                named.add(container["args"][0])
    assert named == {"orchestrator", "agent-runner", "test-runner", "git-committer", "topics"}
    for command in named:
        module = commands[command]
        assert importlib.util.find_spec(module) is not None, f"{command}: {module} not found"
        if "." not in module:
            assert importlib.util.find_spec(f"{module}.__main__") is not None, module


@pytest.mark.parametrize(("args", "status"), [(["bogus"], 2), ([], 2)])
def test_the_entry_point_refuses_unknown_commands(args: list[str], status: int) -> None:
    done = subprocess.run(
        ["sh", str(ENTRYPOINT), *args], check=False, capture_output=True, text=True
    )
    assert done.returncode == status
    assert done.stderr.startswith("usage: cts-entrypoint")


def test_the_health_check_command_probes_the_service() -> None:
    # The entry point runs `python` from PATH, as in the image: put this environment's first.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["sh", str(ENTRYPOINT), "healthcheck", "/readyz", "--timeout", "1"],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, "CTS_HTTP_PORT": "1"},
    )
    assert done.returncode == 1, "nothing listens on port 1: the check must fail"
    assert done.stderr.startswith("/readyz: ")


def test_dependencies_are_a_layer_of_their_own_before_the_code() -> None:
    build = stage("build")
    deps = build.index("--no-install-workspace")
    assert "uv sync --frozen --no-dev --no-install-workspace" in build
    assert build.index("COPY contracts contracts") > deps
    assert build.index("COPY services services") > deps
    assert "--no-editable" in build[deps:]


def test_every_workspace_member_manifest_reaches_the_dependency_layer() -> None:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    members = {
        path.parent.relative_to(REPO).as_posix()
        for pattern in root["tool"]["uv"]["workspace"]["members"]
        for path in REPO.glob(f"{pattern}/pyproject.toml")
    }
    copied = set(re.findall(r"^COPY (\S+)/pyproject\.toml \1/$", stage("build"), re.M))
    assert copied == members


def test_the_runtime_is_slim_non_root_and_the_test_runner_adds_elixir() -> None:
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim", DOCKERFILE, re.M)
    runtime = stage("runtime")
    assert "COPY --from=build /app/.venv /app/.venv" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert 'ENTRYPOINT ["tini", "--", "cts-entrypoint"]' in runtime
    test_runner = stage("test-runner")
    assert re.search(r"^FROM runtime AS test-runner$", DOCKERFILE, re.M)
    assert "apt-get install -y --no-install-recommends elixir bubblewrap" in test_runner
    assert test_runner.rstrip().splitlines()[-2] == "USER 10001:10001"
    assert not re.search(r"(?i)(api_key|password|secret)\s*=", DOCKERFILE)


def test_the_test_runner_image_carries_hex_and_rebar_in_a_home_the_sandbox_reads_only() -> None:
    test_runner = stage("test-runner")
    home = test_runner.index("ENV MIX_HOME=/opt/mix")
    install = test_runner.index("RUN mix local.hex --force")
    assert home < install < test_runner.index("USER 10001:10001")
    assert "&& mix local.rebar --force" in test_runner
    assert "chmod -R a+rX,go-w /opt/mix" in test_runner
    assert "ENV CTS_SANDBOX_READONLY_PATHS=/opt/mix" in test_runner
    assert "HEX_OFFLINE" not in test_runner  # Hex's settings come from CTS_HEX_*


def test_the_build_context_leaves_out_caches_tests_and_local_secrets() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".cache", "tests", ".env"} <= ignored
