"""Wiring: the executor harness running Initialize and Finalize, and the cleanup consumer
with its sweeper. It never touches MongoDB, so a MongoDB outage does not make it unready."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cts_contracts import Executor, SessionFinished
from cts_contracts.topics import SESSION_FINISHED
from cts_git_committer.cleanup import Cleanup
from cts_git_committer.git_process import check_git_version
from cts_git_committer.service import GitSteps
from cts_git_committer.settings import GitCommitterSettings
from cts_git_committer.trash import Trash
from cts_runtime.executor import register_executor
from cts_runtime.logs import get_logger
from cts_runtime.observability import ObservedAsgi
from cts_runtime.service import Service, background
from cts_runtime.subscribe import subscribe

log = get_logger(__name__)


def build_app(settings: GitCommitterSettings | None = None) -> ObservedAsgi:
    settings = settings or GitCommitterSettings()
    service = Service.create(settings, client_id=f"cts-git-committer-{settings.instance_id}")
    steps = GitSteps(settings)
    register_executor(service.broker, settings, executor=Executor.GIT, runner=steps)

    @functools.cache  # one trash and its loop: opened lazily, a handler may come first
    def cleanup() -> Cleanup:
        ctx = steps.open()
        trash = Trash(ctx.layout.trash, steps.quiet,
                      max_delay_s=settings.workspace_removal_max_delay_s)  # fmt: skip
        return Cleanup(ctx.layout, ctx.locks, retention_s=settings.workspace_retention_s,
                       max_per_pass=settings.cleanup_max_per_pass, trash=trash)  # fmt: skip

    async def on_session_finished(event: SessionFinished) -> None:
        await cleanup().on_finished(event.data)

    # Its own group: cleanup lag or a rebalance there never delays a step command.
    cleanup_group = f"{settings.service_name}-cleanup"
    subscribe(service.broker, settings, topic_name=SESSION_FINISHED, model=SessionFinished,
              handler=on_session_finished, group=cleanup_group, consumer=cleanup_group)  # fmt: skip

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        log.info("git found", version=await check_git_version())
        if settings.git_https_token_hosts == [] and (
            settings.git_https_token is not None or settings.git_https_token_file is not None
        ):
            log.warning(
                "an https token is configured but CTS_GIT_HTTPS_TOKEN_HOSTS is empty: "
                "it will not be sent to any host"
            )
        steps.open()
        try:
            async with background(
                cleanup=cleanup().run(settings.cleanup_sweep_interval_s),
                trash=cleanup().trash.run(),
            ):
                yield
        finally:
            steps.close()

    return service.app(lifespan, readiness=())
