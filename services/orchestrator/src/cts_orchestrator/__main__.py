"""``python -m cts_orchestrator``: one orchestrator process with /healthz, /readyz, /metrics."""

import sys

from cts_orchestrator.app import build_app
from cts_orchestrator.settings import OrchestratorSettings
from cts_runtime.observability import run_service

if __name__ == "__main__":
    settings = OrchestratorSettings()
    sys.exit(run_service(build_app(settings), settings))
