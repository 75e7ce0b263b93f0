"""``python -m cts_test_runner``: one test-runner process with /healthz, /readyz, /metrics."""

import sys

from cts_runtime.observability import run_service
from cts_test_runner.app import build_app
from cts_test_runner.settings import TestRunnerSettings

if __name__ == "__main__":
    settings = TestRunnerSettings()
    # It never touches MongoDB, so a MongoDB outage must not make it unready.
    sys.exit(run_service(build_app(settings), settings, readiness=()))
