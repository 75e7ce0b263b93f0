"""``python -m cts_git_committer``: one git-committer process with /healthz, /readyz, /metrics."""

import sys

from cts_git_committer.app import build_app
from cts_runtime.observability import serve_app

if __name__ == "__main__":
    sys.exit(serve_app(build_app()))
