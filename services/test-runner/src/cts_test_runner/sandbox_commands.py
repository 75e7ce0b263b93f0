"""Runner commands executed in the sandbox, in order, under one deadline: each gets the
scrubbed environment plus its own variables, the run's forwards, and (if it asks) the report
channel; a failing gate or a timeout stops the sequence."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import partial

from cts_runtime.logs import get_logger
from cts_test_runner.environment import scrubbed_environment
from cts_test_runner.process import Job, ProcessPort, ProcessResult
from cts_test_runner.runners.base import Command
from cts_test_runner.sandbox import Forward, Launch, RunDirs, Sandbox
from cts_test_runner.settings import TestRunnerSettings

log = get_logger(__name__)


class SandboxCommands:
    def __init__(
        self,
        settings: TestRunnerSettings,
        sandbox: Sandbox,
        process: ProcessPort,
        environ: Mapping[str, str],
    ) -> None:
        self._settings = settings
        self._sandbox = sandbox
        self._process = process
        self._environ = environ

    async def run(
        self,
        commands: Sequence[Command],
        dirs: RunDirs,
        *,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
        forwards: Sequence[Forward] = (),
        writable_deps: bool = False,
    ) -> list[ProcessResult]:
        deadline = time.monotonic() + timeout_s
        runs: list[ProcessResult] = []
        for step in commands:
            step_env = scrubbed_environment(
                self._environ,
                allow=self._settings.test_env_allow,
                extra={**(env or {}), **step.env},
            )
            start = partial(
                self._launch, step, step_env, dirs=dirs, forwards=forwards, writable=writable_deps
            )
            run = await self._process(
                Job(step.argv, start, step.channel is not None),
                timeout_s=deadline - time.monotonic(),
                cap_bytes=self._settings.test_output_cap_bytes,
            )
            runs.append(run)
            log.info(
                "command finished",
                label=step.label,
                exit_code=run.exit_code,
                timed_out=run.timed_out,
                duration_s=round(run.duration_s, 2),
            )
            if run.timed_out or (step.gate and not run.succeeded):
                break
        return runs

    def _launch(
        self,
        step: Command,
        env: dict[str, str],
        channel: int | None,
        *,
        dirs: RunDirs,
        forwards: Sequence[Forward],
        writable: bool,
    ) -> Launch:
        if step.channel is not None and channel is not None:
            env = {**env, step.channel: str(channel)}
        return self._sandbox.launch(
            step.argv,
            env=env,
            dirs=dirs,
            tools=step.tools,
            forwards=forwards,
            writable_deps=writable,
        )
