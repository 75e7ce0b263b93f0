"""Runner commands executed in the sandbox, in order, under one deadline: each gets the
scrubbed environment plus its own variables, the run's forwards, and (if it asks) the report
channel; a failing gate or a timeout stops the sequence.

The secrets a command is given (the run's database password, Hex's key for a fetch) are the
project's code's to read, so whatever it prints may hold them: they are cut out of its output
and report before anything else sees them (reports go into events and the session)."""

from __future__ import annotations

import dataclasses
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
        secrets: Sequence[str] = (),
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
            run = redacted(run, secrets)
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


REDACTED = "***"


def redacted(run: ProcessResult, secrets: Sequence[str]) -> ProcessResult:
    """``run`` with every secret replaced in its output and its report channel."""
    present = [secret for secret in secrets if len(secret) >= 8]
    if not present:
        return run
    output, channel = run.output, run.channel
    for secret in present:
        output = output.replace(secret, REDACTED)
        channel = channel.replace(secret.encode(), REDACTED.encode())
    return dataclasses.replace(run, output=output, channel=channel)
