"""Where the demo keeps its files, and the sample project as a local bare repository."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from cts_testing.stack import repo_root


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def bare_repo(self) -> Path:
        return self.root / "my_app.git"

    @property
    def workspaces(self) -> Path:
        return self.root / "workspaces"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def script(self) -> Path:
        return repo_root() / "examples" / "scripts" / "user_registration.red.yaml"


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def prepare_repository(paths: DemoPaths, console: Console) -> str:
    """The sample project as a local bare repository (made once, reused by later runs)."""
    if not paths.bare_repo.exists():
        source = repo_root() / "examples" / "phoenix_app"
        work = paths.root / "seed"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("_build", "deps"))
        git("init", "-q", "-b", "main", cwd=work)
        git("add", "-A", cwd=work)
        identity = ("-c", "user.name=CTS Demo", "-c", "user.email=demo@localhost")
        git(*identity, "commit", "-q", "-m", "Sample Phoenix-style app", cwd=work)
        git("clone", "-q", "--bare", str(work), str(paths.bare_repo))
        shutil.rmtree(work)
        console.print(f"  created the demo repository {paths.bare_repo}")
    return f"file://{paths.bare_repo}"
