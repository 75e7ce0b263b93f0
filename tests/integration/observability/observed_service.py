"""Run a real CTS service the way its ``__main__`` does: ``serve_app(build_app())``.

``python observed_service.py orchestrator`` (or agent-runner, test-runner, git-committer).
"""

from __future__ import annotations

import importlib
import sys

from cts_runtime.observability import serve_app


def main(service: str) -> int:
    app = importlib.import_module(f"cts_{service.replace('-', '_')}.app").build_app()
    return serve_app(app)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
