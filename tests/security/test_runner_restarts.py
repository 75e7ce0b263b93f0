"""The rest of attack 6: a run that takes the whole test-runner down with it (as the OOM
killer takes a container) is answered with an error once its starts are used up, instead of
being redelivered and killing every runner after it."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from cts_contracts import Step
from cts_test_runner.process_tree import live_processes
from cts_testing.stack import Endpoints
from tests.reliability.fleet import fleet
from tests.reliability.harness import observer, wait_until
from tests.security.conftest import CANARIES, TEST_FILE, Target

SLEEPING_TEST = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "runs long enough for the runner to be killed under it" do
    Process.sleep(120_000)
  end
end
"""


def _running_tests() -> list[int]:
    """BEAMs running this module's test file (the host sees into every sandbox)."""
    found = []
    for pid in live_processes():
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"beam" in argv and TEST_FILE.encode() in argv:
                found.append(pid)
    return found


async def test_a_run_that_keeps_killing_the_runner_is_answered_not_redelivered(
    stack: Endpoints, tmp_path: Path
) -> None:
    env = {**CANARIES, "CTS_TEST_MAX_STARTS": "1"}
    async with fleet(stack, tmp_path, [], roles=("git", "tests"), env=env) as running:
        url, bare = running.repository("app")
        async with observer(stack, running.prefix) as events:
            target = Target(running, events, url, bare)
            session = await target.initialize()
            target.write(session, TEST_FILE, SLEEPING_TEST)
            command = target.command(session, Step.RUN_TESTS)
            [runner] = running.live("tests")

            await target.publish(command)
            await wait_until(lambda: bool(_running_tests()), within=60, what="mix test to run")
            running.crash(runner)
            # The message comes again to a fresh runner (a new group reads it from the start,
            # without waiting for the dead member's session to time out).
            group = f"{running.prefix.rstrip('.')}-{uuid.uuid4().hex[:6]}"
            restarted = running.start("tests", CTS_GROUP_PREFIX=group)
            await running.ready([restarted])
            answer = await target.answer(command.interaction_id, within=60)

            assert answer["status"] == "error", answer
            assert answer["summary"] == "the run kept killing the test-runner"
            assert "started 1 times" in (answer["error_message"] or "")
            assert _running_tests() == [], "the run was started again"
            assert restarted.alive()
