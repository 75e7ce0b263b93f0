"""``python -m cts_agent_runner``: run one agent-runner process."""

import asyncio

from cts_agent_runner.app import build_app

if __name__ == "__main__":
    asyncio.run(build_app().run())
