"""The ``StepRunner`` for ``cts.git.step-requested.v1``: Initialize and Finalize.

Every answer and log line leaves here redacted. A failure the step understands becomes an
``error`` (or ``transient`` for the network); anything unexpected becomes a redacted
``transient`` here, never an exception for the harness to print with its message intact.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable

from cts_contracts import Step
from cts_contracts.step_requested import StepRequestedData
from cts_git_committer.context import StepContext
from cts_git_committer.failures import GitError, StepFailure, failure_from
from cts_git_committer.finalize import finalize
from cts_git_committer.git_env import GitEnvironment
from cts_git_committer.git_process import check_git_version
from cts_git_committer.initialize import initialize
from cts_git_committer.settings import GitCommitterSettings
from cts_git_committer.trash import Quiet
from cts_runtime.executor import StepOutcome
from cts_runtime.logs import get_logger

log = get_logger(__name__)

Handler = Callable[[StepRequestedData, StepContext], Awaitable[StepOutcome]]
HANDLERS: dict[Step, Handler] = {Step.INITIALIZE: initialize, Step.FINALIZE: finalize}


class GitSteps:
    """Open it (``async with`` or ``open()``) before use: it owns a private helper directory."""

    def __init__(self, settings: GitCommitterSettings) -> None:
        self._settings = settings
        self._context: StepContext | None = None
        self.quiet = Quiet()

    def open(self) -> StepContext:
        if self._context is None:
            env = GitEnvironment.create(self._settings)
            self._context = StepContext.create(self._settings, env)
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.env.close()
            self._context = None

    async def __aenter__(self) -> GitSteps:
        await check_git_version()
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    async def __call__(self, command: StepRequestedData) -> StepOutcome:
        ctx = self.open()
        redact = ctx.redactor(command.repository.url)
        handler = HANDLERS.get(command.step)
        if handler is None:
            return StepOutcome.error(
                "wrong executor", f"the git-committer does not run {command.step.value}"
            )
        try:
            with self.quiet.running():
                return await handler(command, ctx)
        except StepFailure as failure:
            log.info(
                "step failed",
                summary=redact(failure.summary),
                error=redact(failure.message),
                transient=failure.transient,
            )
            if failure.transient:
                return StepOutcome.transient(redact(failure.summary), redact(failure.message))
            return StepOutcome.error(redact(failure.summary), redact(failure.message))
        except GitError as error:
            local = failure_from(error, what="the working copy")
            log.warning("git failed", error=redact(local.message))
            return StepOutcome.error(redact(local.summary), redact(local.message))
        except Exception as exc:
            details = redact("".join(traceback.format_exception(exc)))
            log.error("git step crashed", error=details)
            return StepOutcome.transient(
                "git-committer error", redact(f"{type(exc).__name__}: {exc}")[:1000]
            )
