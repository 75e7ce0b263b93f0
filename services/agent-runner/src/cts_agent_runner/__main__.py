"""``python -m cts_agent_runner``: one agent-runner process with /healthz, /readyz, /metrics."""

import sys

from cts_agent_runner.app import build_app
from cts_agent_runner.settings import AgentRunnerSettings
from cts_runtime.observability import run_service

if __name__ == "__main__":
    settings = AgentRunnerSettings()
    sys.exit(run_service(build_app(settings), settings))
