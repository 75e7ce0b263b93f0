"""The RunTests handler with a scripted process port: no Elixir, no servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from cts_contracts import Expect, ResultStatus, RunTestsData, Step
from cts_contracts.step_requested import StepRequestedData
from cts_test_runner.process import Job, ProcessResult
from cts_test_runner.runners.exunit import CHANNEL_ENV
from cts_test_runner.sandbox.unconfined import Unconfined
from cts_test_runner.service import RunTests
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.toolchain import Toolchain
from cts_testing.factories import step_request

TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
DESIGN = """# UserRepository

## Test Assertions

- describe "create_user/1"
  - test "inserts a user"
"""
PASSED = {
    "module": "MyApp.Accounts.UserRepositoryTest",
    "describe": "create_user/1",
    "name": "inserts a user",
    "file": TEST_FILE,
    "line": 5,
    "state": "passed",
    "message": None,
    "test_type": "test",
}
FAILED = PASSED | {"state": "failed", "message": "** (UndefinedFunctionError) ..."}


class FakeMix:
    """Answers ``mix compile`` and ``mix test`` the way the real ones would, scripted."""

    def __init__(
        self,
        *,
        compile_exit: int = 0,
        compile_output: str = "Generated my_app app\n",
        tests: list[dict[str, Any]] | None = None,
        test_output: str = "",
        hang: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        self.compile_exit, self.compile_output = compile_exit, compile_output
        self.tests = [FAILED] if tests is None else tests
        self.test_output, self.hang, self.delay_s = test_output, hang, delay_s
        self.calls: list[dict[str, Any]] = []
        self.running = 0
        self.most_at_once = 0

    async def __call__(self, job: Job, *, timeout_s: float, cap_bytes: int) -> ProcessResult:
        launch = job.launch(7 if job.channel else None)
        argv = job.argv
        test_file = launch.cwd / TEST_FILE
        seen = test_file.read_text() if test_file.is_file() else None
        self.calls.append(
            {
                "argv": argv,
                "cwd": launch.cwd,
                "env": dict(launch.env),
                "timeout_s": timeout_s,
                "test_file": seen,
            }
        )
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.running -= 1
        if argv[:2] == ("mix", "compile"):
            return result(argv, self.compile_exit, self.compile_output)
        if self.hang:
            return result(argv, None, "", timed_out=True)
        assert launch.env[CHANNEL_ENV] == "7"
        code = 2 if any(t["state"] != "passed" for t in self.tests) else 0
        return result(argv, code, self.test_output, channel=stream(self.tests, code))


def stream(tests: list[dict[str, Any]], code: int) -> bytes:
    """What the formatter writes on its channel for these tests and exit code."""
    counts = {s: sum(t["state"] == s for t in tests) for s in ("passed", "failed", "skipped")}
    end = counts | {"excluded": 0, "invalid": 0, "total": len(tests), "truncated": False}
    events = [
        {"event": "suite_started"},
        *({"event": "test"} | t for t in tests),
        {"event": "suite_finished"} | end,
        {"event": "exit", "status": code},
    ]
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


def result(
    argv: Sequence[str],
    code: int | None,
    output: str,
    *,
    timed_out: bool = False,
    channel: bytes = b"",
) -> ProcessResult:
    return ProcessResult(
        argv=tuple(argv),
        exit_code=code,
        output=output,
        output_bytes=len(output),
        truncated=False,
        timed_out=timed_out,
        duration_s=0.01,
        pid=1,
        run_id="r",
        channel=channel,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "workspaces"


def workspace(
    root: Path,
    *,
    test: str | None = "defmodule T do\nend\n",
    design: str | None = DESIGN,
    **overrides: Any,
) -> StepRequestedData:
    command = step_request(Step.RUN_TESTS, **overrides)
    path = root / command.workspace
    path.mkdir(parents=True)
    for relative, text in ((TEST_FILE, test), (command.component.design_file, design)):
        if text is not None:
            (path / relative).parent.mkdir(parents=True, exist_ok=True)
            (path / relative).write_text(text)
    return command


def service(
    root: Path, fake: FakeMix, environ: Mapping[str, str] | None = None, **settings: Any
) -> RunTests:
    config = TestRunnerSettings(workspace_root=root, log_format="console", **settings)
    return RunTests(
        config,
        process=fake,
        environ=environ or {"PATH": "/usr/bin"},
        sandbox=Unconfined(),
        probe=_toolchain,
    )


async def _toolchain() -> Toolchain:
    return Toolchain(elixir="1.14.0", otp="25.2.3")


async def test_every_result_names_the_toolchain(root: Path) -> None:
    outcome = await service(root, FakeMix())(workspace(root))

    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.toolchain is not None
    assert (outcome.data.toolchain.elixir, outcome.data.toolchain.otp) == ("1.14.0", "25.2.3")
    assert outcome.data.fixable is True


async def test_an_elixir_requirement_that_excludes_the_runner_is_not_for_the_fix_loop(
    root: Path,
) -> None:
    refused = (
        "** (Mix) You're trying to run :my_app on Elixir v1.14.0 but it has declared in its "
        "mix.exs file it supports only Elixir ~> 1.17\n"
    )
    fake = FakeMix(compile_exit=1, compile_output=refused)

    outcome = await service(root, fake)(workspace(root))

    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message == (
        "the project needs Elixir ~> 1.17 (mix.exs, app :my_app); this test-runner has 1.14.0 "
        "(Erlang/OTP 25.2.3)"
    )
    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.fixable is False
    assert outcome.data.toolchain is not None


async def test_every_command_gets_the_run_database_and_its_forward(root: Path) -> None:
    fake = FakeMix()
    await service(root, fake)(workspace(root))

    for call in fake.calls:
        env = call["env"]
        assert env["PGHOST"] == "localhost"
        assert env["PGPORT"].isdigit()  # unconfined: a free port of the host's loopback
        assert env["PGUSER"].startswith("cts_run_")
        assert env["MIX_TEST_PARTITION"].isdigit()
        assert env["DATABASE_URL"].startswith(f"postgres://{env['PGUSER']}:")
    assert len({call["env"]["PGUSER"] for call in fake.calls}) == 1  # one run, one role


async def test_red_run_is_ok_and_carries_structured_data(root: Path) -> None:
    fake = FakeMix()
    outcome = await service(root, fake)(workspace(root))

    assert outcome.status is ResultStatus.OK
    data = outcome.data
    assert isinstance(data, RunTestsData)
    assert (data.compiled, data.total, data.failed, data.passed) == (True, 1, 1, 0)
    assert data.tests[0].name == "create_user/1 inserts a user"
    assert data.alignment is not None
    assert data.alignment.score == 1.0
    assert data.output_artifact_id is None
    assert [call["argv"][:2] for call in fake.calls] == [("mix", "compile"), ("elixir", "-r")]


async def test_a_failed_compile_gate_skips_the_tests(root: Path) -> None:
    output = (
        "== Compilation error in file test/support/f.ex ==\n"
        "** (CompileError) test/support/f.ex:3: undefined function x/0\n"
    )
    fake = FakeMix(compile_exit=1, compile_output=output)

    outcome = await service(root, fake)(workspace(root))

    assert outcome.status is ResultStatus.ERROR
    assert len(fake.calls) == 1
    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.compiled is False
    assert outcome.error_message is not None
    assert "test/support/f.ex:3: (CompileError) undefined function x/0" in outcome.error_message


async def test_the_tests_get_what_is_left_of_the_timeout(root: Path) -> None:
    fake = FakeMix(delay_s=0.3)

    await service(root, fake, test_timeout_s=5)(workspace(root))

    compile_budget, test_budget = (call["timeout_s"] for call in fake.calls)
    assert 4.9 < compile_budget <= 5
    assert test_budget <= compile_budget - 0.25


async def test_a_timeout_is_reported(root: Path) -> None:
    outcome = await service(root, FakeMix(hang=True), test_timeout_s=7)(
        workspace(root, design=None)
    )

    assert outcome.status is ResultStatus.ERROR
    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.timed_out is True
    assert outcome.summary == "timed out after 7s"


async def test_the_process_gets_the_scrubbed_environment(root: Path) -> None:
    fake = FakeMix()
    environ = {
        "PATH": "/usr/bin",
        "ANTHROPIC_API_KEY": "sk-secret",
        "EXTRA": "yes",
        "MIX_HOME": "/m",
    }

    await service(root, fake, environ, test_env_allow=["EXTRA"])(workspace(root))

    env = fake.calls[1]["env"]
    assert "ANTHROPIC_API_KEY" not in env
    assert (env["EXTRA"], env["MIX_HOME"], env["MIX_ENV"]) == ("yes", "/m", "test")
    assert env["MIX_BUILD_ROOT"] == str(root / ".build-cache" / "acme" / "shop" / "mix")
    # The run's own copy of the working tree, never the working tree itself.
    assert root not in fake.calls[1]["cwd"].parents
    assert fake.calls[1]["test_file"] == "defmodule T do\nend\n"


async def test_a_missing_test_file_is_an_error_the_agent_can_fix(root: Path) -> None:
    fake = FakeMix()
    outcome = await service(root, fake)(workspace(root, test=None))

    assert outcome.status is ResultStatus.ERROR
    assert outcome.error_message == f"the test file {TEST_FILE} does not exist; write it first"
    assert fake.calls == []


async def test_a_test_file_linking_out_of_the_workspace_is_refused(
    root: Path, tmp_path: Path
) -> None:
    command = workspace(root, test=None)
    (tmp_path / "outside.exs").write_text("secret")
    (root / command.workspace / TEST_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / command.workspace / TEST_FILE).symlink_to(tmp_path / "outside.exs")

    outcome = await service(root, FakeMix())(command)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "test file missing"


async def test_a_missing_workspace_is_transient(root: Path) -> None:
    command = step_request(Step.RUN_TESTS)
    await asyncio.to_thread(root.mkdir)

    outcome = await service(root, FakeMix())(command)

    assert outcome.status is ResultStatus.TRANSIENT


async def test_a_workspace_linking_out_of_the_root_is_an_error(root: Path, tmp_path: Path) -> None:
    command = step_request(Step.RUN_TESTS)
    link = root / command.workspace
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path)

    outcome = await service(root, FakeMix())(command)

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "bad workspace"


async def test_no_design_section_means_no_alignment(root: Path) -> None:
    outcome = await service(root, FakeMix())(workspace(root, design="# Design\n"))

    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.alignment is None
    assert "lists no Test Assertions; not checked" in outcome.data.report


async def test_green_mode_fails_on_a_failing_test(root: Path) -> None:
    outcome = await service(root, FakeMix())(workspace(root, expect=Expect.GREEN))

    assert outcome.status is ResultStatus.ERROR
    assert outcome.summary == "1 test(s) fail"


async def test_runs_of_one_project_never_overlap(root: Path) -> None:
    fake = FakeMix(delay_s=0.1)
    runner = service(root, fake, test_concurrency=4)

    await asyncio.gather(*(runner(workspace(root)) for _ in range(3)))

    assert fake.most_at_once == 1


async def test_concurrency_bounds_runs_across_projects(root: Path) -> None:
    fake = FakeMix(delay_s=0.1)
    runner = service(root, fake, test_concurrency=2)
    commands = [workspace(root, project_id=f"p{i}") for i in range(4)]

    await asyncio.gather(*(runner(command) for command in commands))

    assert fake.most_at_once == 2


SPEC = """# MyApp.Accounts.UserRepository

## Functions

### create_user/1

**Test Assertions**:

- inserts a user
"""
EXTRA = FAILED | {"name": "an invented case", "line": 9}


async def test_a_codemyspec_spec_counts_extra_tests_against_the_score(root: Path) -> None:
    outcome = await service(root, FakeMix(tests=[FAILED, EXTRA]))(workspace(root, design=SPEC))

    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.alignment is not None
    assert outcome.data.alignment.score == 0.5
    assert outcome.data.alignment.unexpected == [
        'describe "create_user/1" / test "an invented case"'
    ]
    assert outcome.status is ResultStatus.ERROR
    assert "tests it does not list count against it" in (outcome.error_message or "")


async def test_the_session_options_override_the_runners_alignment_defaults(root: Path) -> None:
    fake = FakeMix(tests=[FAILED, EXTRA])
    lenient = workspace(root, design=SPEC, alignment_counts_extra_tests=False)
    outcome = await service(root, fake)(lenient)
    assert outcome.status is ResultStatus.OK
    assert isinstance(outcome.data, RunTestsData)
    assert outcome.data.alignment is not None
    assert outcome.data.alignment.score == 1.0

    low_bar = workspace(root / "other", design=SPEC, alignment_threshold=0.5)
    outcome = await service(root / "other", fake)(low_bar)
    assert outcome.status is ResultStatus.OK


async def test_extra_tests_do_not_count_for_a_cts_design_unless_asked(root: Path) -> None:
    fake = FakeMix(tests=[FAILED, EXTRA])
    assert (await service(root, fake)(workspace(root))).status is ResultStatus.OK
    strict = workspace(root / "other", alignment_counts_extra_tests=True)
    assert (await service(root / "other", fake)(strict)).status is ResultStatus.ERROR


async def test_expect_auto_never_reaches_a_run(root: Path) -> None:
    fake = FakeMix()
    outcome = await service(root, fake)(workspace(root, expect=Expect.AUTO))
    assert outcome.status is ResultStatus.ERROR
    assert "only Initialize" in (outcome.error_message or "")
    assert fake.calls == []
