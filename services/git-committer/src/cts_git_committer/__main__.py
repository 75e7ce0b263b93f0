"""``python -m cts_git_committer``: run one git-committer process."""

import asyncio

from cts_git_committer.app import build_app

if __name__ == "__main__":
    asyncio.run(build_app().run())
