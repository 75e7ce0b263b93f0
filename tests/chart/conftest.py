"""A real helm binary (built by deploy/local/helm.sh, cached) and a renderer for the chart."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "cts"
KUBE_VERSION = "1.30.0"  # the oldest Kubernetes the docs promise; the chart allows >= 1.25

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def helm() -> str:
    script = REPO / "deploy" / "local" / "helm.sh"
    cached = subprocess.run(
        ["bash", str(script), "path"], check=False, capture_output=True, text=True
    )
    if cached.returncode == 0:
        return cached.stdout.strip()
    if shutil.which("go") is None:
        pytest.skip("no helm binary: Go is not installed, so deploy/local/helm.sh cannot build one")
    built = subprocess.run(
        ["bash", str(script), "install"], check=False, capture_output=True, text=True
    )
    assert built.returncode == 0, f"building helm failed:\n{built.stderr[-3000:]}"
    return built.stdout.strip().splitlines()[-1]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm, *args], check=False, capture_output=True, text=True, timeout=120)


def template_args(*sets: str, values: Path | None = None) -> list[str]:
    args = ["template", "rel", str(CHART), "--namespace", "cts", "--kube-version", KUBE_VERSION]
    for item in sets:
        args += ["--set", item]
    if values is not None:
        args += ["--values", str(values)]
    return args


@pytest.fixture(scope="session")
def render(helm: str) -> Render:
    """``render("a.b=1", ...)`` -> the manifests ``helm template`` prints (fails on error)."""

    def _render(*sets: str, values: Path | None = None) -> list[Manifest]:
        done = run_helm(helm, *template_args(*sets, values=values))
        assert done.returncode == 0, done.stderr
        return [doc for doc in yaml.safe_load_all(done.stdout) if doc]

    return _render


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}
