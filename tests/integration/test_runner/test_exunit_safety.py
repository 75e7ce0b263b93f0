"""Untrusted tests against the runner's limits: a hang is killed with everything it started,
a flood of output is capped while streaming, a daemon left behind is reaped."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import ResultStatus, RunTestsData
from cts_test_runner.process_tree import live_processes, marked

Load = Callable[[str], str]


def _running(argv: list[str]) -> list[int]:
    """Live processes whose command line is exactly ``argv``."""
    wanted = b"\0".join(arg.encode() for arg in argv) + b"\0"
    found = []
    for pid in live_processes():
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == wanted:
                found.append(pid)
        except OSError:
            continue
    return found


def _group_members(pgid: int) -> list[int]:
    members = []
    for pid in live_processes():
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rfind(b")") + 2 :].split()[2]) == pgid:
            members.append(pid)
    return members


async def test_a_hanging_test_is_killed_at_the_timeout_with_everything_it_started(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    runner, recorder = run_tests(test_timeout_s=20, alignment_threshold=0.0)
    command = sandbox.workspace(scenario("hanging_test.exs"))

    started = time.monotonic()
    outcome = await runner(command)
    elapsed = time.monotonic() - started

    assert outcome.status is ResultStatus.ERROR
    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.timed_out is True
    assert outcome.summary.startswith("timed out after 20s")
    assert outcome.error_message is not None
    assert "did not finish within 20s and were killed" in outcome.error_message
    assert 20 <= elapsed < 40
    hung = recorder.runs[-1]
    assert hung.timed_out
    # `sleep 987` ran in its own session (erl_child_setup calls setsid): found and killed.
    assert hung.leftovers_killed >= 1
    assert _group_members(hung.pid) == []
    assert marked(hung.run_id, live_processes()) == set()
    assert _running(["sleep", "987"]) == []


@pytest.mark.parametrize("backend", ["bubblewrap", "none"])
async def test_a_daemon_left_by_a_finished_test_is_killed(
    sandbox: Any, run_tests: Any, scenario: Load, backend: str
) -> None:
    runner, recorder = run_tests(alignment_threshold=0.0, sandbox=backend)
    outcome = await runner(sandbox.workspace(scenario("daemon_test.exs")))

    assert outcome.status is ResultStatus.OK, outcome.error_message
    finished = recorder.runs[-1]
    assert not finished.timed_out
    if backend == "none":
        # Unconfined, the runner's own nets must find it; in the sandbox its PID namespace
        # ended with the run, before there was anything left to find.
        assert finished.leftovers_killed >= 1
    assert marked(finished.run_id, live_processes()) == set()
    assert _running(["sleep", "986"]) == []


async def test_fifty_megabytes_of_output_are_capped_and_the_runner_stays_healthy(
    sandbox: Any, run_tests: Any, scenario: Load
) -> None:
    cap = 2 * 1024 * 1024
    runner, recorder = run_tests(test_output_cap_bytes=cap, alignment_threshold=0.0)
    peak_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    outcome = await runner(sandbox.workspace(scenario("loud_test.exs")))

    peak_after_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    loud = recorder.runs[-1]
    assert loud.output_bytes >= 50_000_000
    assert loud.truncated
    assert len(loud.output.encode()) <= cap + 200
    assert "output truncated" in loud.output
    assert "1 test, 1 failure" in loud.output  # the tail survived
    assert (peak_after_kib - peak_before_kib) < 40 * 1024
    assert outcome.status is ResultStatus.OK, outcome.error_message  # red: it failed as expected
    assert isinstance(outcome.data, RunTestsData)
    assert len(outcome.data.report) <= 60_000
    assert outcome.data.failed == 1

    again = await runner(sandbox.workspace(scenario("aligned_test.exs")))
    assert again.status is ResultStatus.OK, again.error_message
