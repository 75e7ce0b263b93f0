"""PrepareProject with a scripted process port: the probe run before any test is written, and
what its answer says. The real thing (dependencies, PostgreSQL, bubblewrap) is in
tests/integration/test_runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cts_contracts import PrepareProjectData, ResultStatus, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.sandboxed_run import PROBE, PROBE_SOURCE
from cts_testing.factories import step_request

from .test_run_tests_service import FakeMix, root, service

__all__ = ["root"]  # the fixture, imported to be found

REFUSED = (
    "** (Mix) You're trying to run :my_app on Elixir v1.14.0 but it has declared in its "
    "mix.exs file it supports only Elixir ~> 1.17\n"
)


def project(root: Path, **overrides: Any) -> StepRequestedData:
    """A workspace as Initialize leaves it: the app, no test or fixture of the session's."""
    command = step_request(Step.PREPARE_PROJECT, **overrides)
    path = root / command.workspace
    (path / "lib").mkdir(parents=True)
    (path / "mix.exs").write_text("defmodule MyApp.MixProject do\nend\n")
    return command


class ProbeWatcher(FakeMix):
    """Also reads the probe file the test command was given, in the run's copy."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(tests=[], **kwargs)
        self.probes: list[str | None] = []

    async def __call__(self, job: Any, *, timeout_s: float, cap_bytes: int) -> Any:
        probe = job.launch(None).cwd / PROBE.test_file
        self.probes.append(probe.read_text() if probe.is_file() else None)
        return await super().__call__(job, timeout_s=timeout_s, cap_bytes=cap_bytes)


async def test_the_probe_compiles_and_runs_an_empty_test_file_of_the_runners_own(
    root: Path,
) -> None:
    fake = ProbeWatcher()
    command = project(root)

    outcome = await service(root, fake)(command)

    assert outcome.status is ResultStatus.OK, outcome.error_message
    assert isinstance(outcome.data, PrepareProjectData)
    assert (outcome.data.dependencies, outcome.data.compiled) == ("none", True)
    assert outcome.data.toolchain is not None
    assert [call["argv"][:2] for call in fake.calls] == [("mix", "compile"), ("elixir", "-r")]
    assert fake.calls[1]["argv"][3:6] == ("-S", "mix", "test")
    assert fake.calls[1]["argv"][6] == PROBE.test_file
    assert fake.probes == [PROBE_SOURCE, PROBE_SOURCE]
    assert not (root / command.workspace / PROBE.test_file).exists(), "only the copy has it"


async def test_a_project_that_does_not_compile_yet_is_a_warning_not_a_failure(
    root: Path,
) -> None:
    broken = "** (CompileError) lib/my_app/thing.ex:3: undefined function nope/0\n"
    fake = FakeMix(compile_exit=1, compile_output=broken, tests=[])

    outcome = await service(root, fake)(project(root))

    assert outcome.status is ResultStatus.OK
    assert isinstance(outcome.data, PrepareProjectData)
    assert outcome.data.compiled is False
    [warning] = outcome.data.warnings
    assert warning.startswith("the project did not compile before any test was written")
    assert "lib/my_app/thing.ex:3" in warning


async def test_an_elixir_requirement_the_runner_does_not_meet_ends_the_step(root: Path) -> None:
    fake = FakeMix(compile_exit=1, compile_output=REFUSED, tests=[])

    outcome = await service(root, fake)(project(root))

    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message == (
        "the project needs Elixir ~> 1.17 (mix.exs, app :my_app); this test-runner has 1.14.0 "
        "(Erlang/OTP 25.2.3)"
    )
    assert isinstance(outcome.data, PrepareProjectData)
    assert outcome.error_message in outcome.data.report


async def test_a_pytest_session_has_nothing_to_prepare(root: Path) -> None:
    fake = FakeMix()

    outcome = await service(root, fake, test_runner="pytest")(project(root))

    assert outcome.status is ResultStatus.OK
    assert outcome.summary == "nothing to prepare for pytest"
    assert fake.calls == []


async def test_the_probe_is_never_written_through_a_link(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    command = project(root)
    (root / command.workspace / "test").symlink_to(outside)
    fake = FakeMix(tests=[])

    outcome = await service(root, fake)(command)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "the project's test directory is not a directory"
    assert list(outside.iterdir()) == []
    assert fake.calls == []
