"""`make demo` as a new user types it: scripted model, four services, a real commit."""

from __future__ import annotations

import os
import subprocess

from cts_contracts.naming import branch_name
from cts_testing.stack import Endpoints, repo_root


def test_make_demo_announces_the_scripted_model_and_ends_with_a_commit(stack: Endpoints) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CTS_"))}
    env |= {
        "CTS_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "CTS_MONGODB_URI": stack.mongodb_uri,
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "demo"],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert done.stdout.splitlines()[0].startswith("CTS demo: scripted model"), output[:500]
    assert "Session complete" in done.stdout, output[-4000:]
    bare = repo_root() / ".cache" / "demo" / "my_app.git"
    files = subprocess.run(
        ["git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only",
         branch_name("UserRegistration")],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "test/my_app/accounts/user_registration_test.exs" in files
    assert "test/support/fixtures/accounts/user_registration_fixtures.ex" in files
    assert "Cts-Session:" in done.stdout  # the session branch's commit is printed
