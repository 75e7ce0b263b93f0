"""``python -m cts_test_runner``: run one test-runner process."""

import asyncio

from cts_test_runner.app import build_app

if __name__ == "__main__":
    asyncio.run(build_app().run())
