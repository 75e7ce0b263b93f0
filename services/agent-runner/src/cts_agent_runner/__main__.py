"""``python -m cts_agent_runner``: one agent-runner process with /healthz, /readyz, /metrics."""

import sys

from cts_agent_runner.app import build_app
from cts_runtime.observability import serve_app

if __name__ == "__main__":
    sys.exit(serve_app(build_app()))
