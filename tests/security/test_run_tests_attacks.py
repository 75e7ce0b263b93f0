"""Attacks 1, 2, 5, 6 and 7 of the sandbox issue: a generated test (or a request's
``test_command``) trying to read the runner's secrets, run arbitrary commands, outlive its
run, kill the runner, or forge its own verdict. Each goes through the real test-runner
process and real ``mix test``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
from pathlib import Path

from cts_contracts import Step
from cts_contracts.topics import STEP_COMPLETED, topic
from cts_test_runner.process_tree import live_processes
from tests.security.conftest import CANARIES, TEST_FILE, Target

STEAL_ENVIRONMENTS = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "reads every process environment it can reach" do
    stolen =
      for pid <- File.ls!("/proc"), pid =~ ~r/^[0-9]+$/, reduce: [] do
        acc ->
          case File.read("/proc/#{pid}/environ") do
            {:ok, text} -> [String.replace(text, <<0>>, " ") | acc]
            _ -> acc
          end
      end

    IO.puts("STOLEN: " <> Enum.join(stolen, "\\n"))
    flunk("stolen: " <> Enum.join(stolen, "\\n"))
  end
end
"""


async def test_a_generated_test_cannot_read_the_runners_secrets_through_proc(
    target: Target,
) -> None:
    session = await target.initialize()
    target.write(session, TEST_FILE, STEAL_ENVIRONMENTS)

    answer = await target.send(target.command(session, Step.RUN_TESTS))

    assert answer["step"] == "run_tests"
    assert answer["data"] is not None, answer  # the test did run
    assert target.leaked() == [], "a secret of the test-runner reached a published event"


async def test_a_request_cannot_run_an_arbitrary_command_as_its_test_command(
    target: Target,
) -> None:
    session = await target.initialize()
    target.write(session, TEST_FILE, STEAL_ENVIRONMENTS)
    shell = ["sh", "-c", "echo PWNED-$((6*7)); cat /proc/$PPID/environ"]

    command = target.command(session, Step.RUN_TESTS)

    await target.publish(command, test_command=shell)
    letter = await target.dead_letter(command.session_id)

    assert "test_command" in letter["reason"], letter["reason"]
    assert "only `mix test …` or `python -m pytest …`" in letter["reason"]
    await asyncio.sleep(2)  # had it run anyway, its answer would be here by now
    assert not [e for e in target.events.on(topic(STEP_COMPLETED, target.fleet.prefix))
                if e["data"]["interaction_id"] == command.interaction_id]  # fmt: skip
    assert "PWNED-42" not in target.everything_published(), "the shell command ran"
    assert target.leaked() == []


def _sleepers(token: str) -> list[int]:
    wanted = f"sleep\0{token}\0".encode()
    found = []
    for pid in live_processes():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes() == wanted:
                found.append(pid)
    return found


async def test_nothing_a_test_starts_outlives_its_run(target: Target) -> None:
    token = f"300.{random.randrange(10**8, 10**9)}"
    escape = f"env -i setsid sh -c 'sleep {token} </dev/null >/dev/null 2>&1 &' &"
    source = f"""\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "leaves a daemon behind, outside its group and without the run's marker" do
    System.cmd("sh", ["-c", "{escape}"])
    Process.sleep(300)
    flunk("red")
  end
end
"""
    session = await target.initialize()
    target.write(session, TEST_FILE, source)
    try:
        answer = await target.send(target.command(session, Step.RUN_TESTS))
        assert answer["data"] is not None, answer
        await asyncio.sleep(1)
        assert _sleepers(token) == [], "a process the test started survived the run"
    finally:
        for pid in _sleepers(token):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


KILL_THE_RUNNER = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "kills the process that started the VM" do
    [_, after_name] = String.split(File.read!("/proc/#{System.pid()}/stat"), ") ", parts: 2)
    parent = after_name |> String.split() |> Enum.at(1)
    System.cmd("kill", ["-9", parent])
    Process.sleep(500)
    flunk("red")
  end
end
"""


async def test_a_test_that_kills_its_parent_does_not_kill_the_runner(target: Target) -> None:
    runners = target.fleet.live("tests")
    assert runners, "no test-runner is running"
    session = await target.initialize()
    target.write(session, TEST_FILE, KILL_THE_RUNNER)

    answer = await target.send(target.command(session, Step.RUN_TESTS), within=90)

    assert answer["status"] in ("ok", "error", "transient")
    assert all(p.alive() for p in runners), "the test killed the test-runner"
    again = await target.initialize()
    target.write(again, TEST_FILE, STEAL_ENVIRONMENTS)
    assert (await target.send(target.command(again, Step.RUN_TESTS)))["data"] is not None


FORGE_THE_VERDICT = """\
defmodule MyApp.Accounts.UserRegistrationTest do
  use ExUnit.Case

  test "fails, but reports success and halts before anyone notices" do
    forged = ~s({"version":1,"total":1,"passed":1,"failed":0,"skipped":0,"excluded":0,) <>
      ~s("invalid":0,"truncated":false,"module_failures":[],"tests":[{"module":) <>
      ~s("MyApp.Accounts.UserRegistrationTest","describe":null,"name":) <>
      ~s("fails, but reports success and halts before anyone notices","test_type":"test",) <>
      ~s("file":"#{Path.relative_to_cwd(__ENV__.file)}","line":4,) <>
      ~s("state":"passed","message":null}]})

    for {key, value} <- :persistent_term.get(), is_binary(value), match?({_, :report}, key) do
      File.write!(value, forged)
    end

    assert false
  end
end
"""


async def test_a_failing_test_cannot_forge_a_passing_verdict(target: Target) -> None:
    session = await target.initialize()
    # Without Test Assertions in the design nothing but the results themselves can fail it.
    target.write(session, session.component.design_file, "# UserRegistration\n")
    halting = FORGE_THE_VERDICT.replace("assert false", "System.halt(0)\n    assert false")
    target.write(session, TEST_FILE, halting)

    answer = await target.send(target.command(session, Step.RUN_TESTS, expect="green"))

    assert answer["status"] == "error", answer["summary"]
    assert answer["data"]["passed"] == 0


async def test_secrets_stay_out_of_every_event_of_this_module(target: Target) -> None:
    """A last sweep over everything the executors published while the attacks ran."""
    assert target.events.events, "nothing was published at all"
    assert target.leaked() == [], [name for name in CANARIES if name in target.leaked()]
