"""``python -m cts_git_committer``: one git-committer process with /healthz, /readyz, /metrics."""

import sys

from cts_git_committer.app import build_app
from cts_git_committer.settings import GitCommitterSettings
from cts_runtime.observability import run_service

if __name__ == "__main__":
    settings = GitCommitterSettings()
    # It never touches MongoDB, so a MongoDB outage must not make it unready.
    sys.exit(run_service(build_app(settings), settings, readiness=()))
