"""Run a real CTS service the way its ``__main__`` will: ``run_service(build_app(), settings)``.

``python observed_service.py orchestrator`` (or agent-runner, test-runner, git-committer).
Services that do not use MongoDB leave it out of readiness, as the deployment docs say.
"""

from __future__ import annotations

import importlib
import sys

from cts_runtime.observability import run_service
from cts_runtime.settings import ServiceSettings

WITHOUT_MONGODB = {"test-runner", "git-committer"}


def main(service: str) -> int:
    app = importlib.import_module(f"cts_{service.replace('-', '_')}.app").build_app()
    readiness = () if service in WITHOUT_MONGODB else None
    return run_service(app, ServiceSettings(service_name=service), readiness=readiness)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
