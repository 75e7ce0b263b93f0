"""``python -m cts_orchestrator``: run one orchestrator process."""

import asyncio

from cts_orchestrator.app import build_app

if __name__ == "__main__":
    asyncio.run(build_app().run())
