"""``python -m cts_orchestrator``: one orchestrator process with /healthz, /readyz, /metrics."""

import sys

from cts_orchestrator.app import build_app
from cts_runtime.observability import serve_app

if __name__ == "__main__":
    sys.exit(serve_app(build_app()))
