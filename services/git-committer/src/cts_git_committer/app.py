"""Wiring: one broker, the executor harness running Initialize/Finalize, and the cleanup
subscriber with its sweeper."""

from __future__ import annotations

import asyncio
import contextlib

from faststream import FastStream
from faststream.kafka.annotations import KafkaMessage

from cts_contracts import SessionFinished
from cts_contracts.topics import GIT_STEP_REQUESTED, SESSION_FINISHED, topic
from cts_git_committer.cleanup import Cleanup
from cts_git_committer.git_process import check_git_version
from cts_git_committer.service import GitSteps
from cts_git_committer.settings import GitCommitterSettings
from cts_runtime.broker import consumer_options, make_broker
from cts_runtime.decoding import decode, raw_body
from cts_runtime.executor import register_executor
from cts_runtime.guard import MessageGuard
from cts_runtime.logs import configure_logging, get_logger

log = get_logger(__name__)


def build_app(settings: GitCommitterSettings | None = None) -> FastStream:
    settings = settings or GitCommitterSettings()
    configure_logging(settings.log_level, settings.log_format)
    broker = make_broker(settings, client_id=f"cts-git-committer-{settings.instance_id}")
    steps = GitSteps(settings)
    register_executor(broker, settings, command_topic=GIT_STEP_REQUESTED, runner=steps)
    guard = MessageGuard(
        broker,
        consumer=f"{settings.service_name}-cleanup",
        topic_prefix=settings.topic_prefix,
        max_failures=settings.max_handler_failures,
    )
    tasks: list[asyncio.Task[None]] = []

    def cleanup() -> Cleanup:
        ctx = steps.open()
        return Cleanup(ctx.layout, ctx.locks, retention_s=settings.workspace_retention_s)

    async def on_session_finished(body: bytes, message: KafkaMessage) -> None:
        async def work() -> None:
            await cleanup().on_finished(decode(SessionFinished, body).data)

        await guard.run(message, work)

    # Its own group: cleanup lag or a rebalance there never delays a step command.
    broker.subscriber(
        topic(SESSION_FINISHED, settings.topic_prefix),
        decoder=raw_body,
        **consumer_options(settings, group=f"{settings.service_name}-cleanup"),
    )(on_session_finished)

    async def startup() -> None:
        log.info("git found", version=await check_git_version())
        if settings.git_https_token_hosts == [] and (
            settings.git_https_token is not None or settings.git_https_token_file is not None
        ):
            log.warning(
                "an https token is configured but CTS_GIT_HTTPS_TOKEN_HOSTS is empty: "
                "it will not be sent to any host"
            )
        steps.open()
        sweeper = cleanup().run(settings.cleanup_sweep_interval_s)
        tasks.append(asyncio.create_task(sweeper, name="workspace-cleanup"))

    async def shutdown() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        steps.close()

    return FastStream(broker, on_startup=[startup], on_shutdown=[shutdown])
