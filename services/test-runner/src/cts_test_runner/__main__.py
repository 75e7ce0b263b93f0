"""``python -m cts_test_runner``: one test-runner process with /healthz, /readyz, /metrics."""

import sys

from cts_runtime.observability import serve_app
from cts_test_runner.app import build_app

if __name__ == "__main__":
    sys.exit(serve_app(build_app()))
