"""Run one git command as an asyncio subprocess: never blocking the event loop, killed (with
its whole process group: ssh, remote helpers) on timeout or when the step is cancelled, and
failing with a redacted, classified ``GitError``.

Why not GitPython's command wrapper: it starts git with ``os.environ`` plus changes (we need
git to see only the environment we built) and its timeout cannot follow the step's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cts_git_committer.failures import FailureKind, GitError, classify
from cts_git_committer.redaction import Redactor
from cts_runtime.logs import get_logger

MAX_MESSAGE_LINES = 12

log = get_logger(__name__)


@dataclass(frozen=True)
class GitOutput:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace").strip()


class Git:
    def __init__(self, redact: Redactor, *, network_timeout_s: float, local_timeout_s: float = 600):
        self.redact = redact
        self._network_timeout_s = network_timeout_s
        self._local_timeout_s = local_timeout_s

    async def run(
        self,
        operation: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        network: bool = False,
    ) -> GitOutput:
        """``operation`` names the command in messages (``fetch``, ``push``)."""
        timeout_s = self._network_timeout_s if network else self._local_timeout_s
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            "git",
            *args,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout_s)
        except TimeoutError:
            await _kill(process)
            kind = FailureKind.NETWORK if network else FailureKind.OTHER
            raise GitError(operation, f"timed out after {timeout_s:.0f}s", kind) from None
        except BaseException:  # the step's deadline cancelled us: leave no git behind
            await _kill(process)
            raise
        assert process.returncode is not None
        log.debug("git command", operation=operation, exit_code=process.returncode,
                  duration_s=round(time.monotonic() - started, 3))  # fmt: skip
        output = GitOutput(process.returncode, stdout, stderr.decode("utf-8", errors="replace"))
        if check and output.returncode != 0:
            raise GitError(operation, self.describe(output.stderr), classify(output.stderr))
        return output

    def describe(self, stderr: str) -> str:
        """The useful tail of git's stderr, one line, redacted."""
        lines = [line.strip() for line in stderr.splitlines()]
        kept = [line for line in lines if line and not line.startswith("hint:")]
        text = " | ".join(kept[-MAX_MESSAGE_LINES:]) or "no message from git"
        return self.redact(text)[:2000]


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        await process.wait()


MIN_GIT = (2, 32)
"""GIT_CONFIG_COUNT (2.31) and GIT_CONFIG_GLOBAL (2.32) carry the hardening: an older git
would silently ignore them, and with them ``core.hooksPath=/dev/null``."""


class GitTooOld(RuntimeError):
    pass


async def check_git_version() -> str:
    """The installed git's version; raises ``GitTooOld`` when the hardening would not hold."""
    process = await asyncio.create_subprocess_exec(
        "git", "--version", stdout=asyncio.subprocess.PIPE, env={"PATH": os.environ["PATH"]}
    )
    stdout, _ = await process.communicate()
    text = stdout.decode().strip()  # "git version 2.39.5"
    numbers = text.removeprefix("git version ").split(".")
    try:
        version = (int(numbers[0]), int(numbers[1]))
    except (IndexError, ValueError):
        raise GitTooOld(f"cannot read the git version from {text!r}") from None
    if version < MIN_GIT:
        wanted = ".".join(map(str, MIN_GIT))
        raise GitTooOld(f"{text} is too old: the git-committer needs git >= {wanted}")
    return text
