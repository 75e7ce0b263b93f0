"""Structured logging: JSON lines with the session and interaction bound by context.

Every line a service writes goes through one renderer: structlog's own, and the standard
library's (FastStream, uvicorn, aiokafka), so ``CTS_LOG_FORMAT=json`` means every line is JSON.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO, cast

import faststream  # noqa: F401 - creates FastStream's own logger, which configure_logging adopts
import structlog

BROKER_LOGGER = "cts.faststream"
"""The logger handed to every broker (``make_broker``): FastStream's default one writes plain
text to stdout past the root handlers."""
_FRAMEWORK_LOGGERS = ("faststream", BROKER_LOGGER)
_HANDLER_NAME = "cts-structured"


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written: a stream captured at configuration
    (a test runner's, since closed) would turn later log lines into logging errors."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


# Both loggers use only write() and flush() of their stream.
_STDERR = cast(TextIO, _CurrentStderr())


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    stamped: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*stamped, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_STDERR),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_STDERR)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # FastStream passes the topic, group and message id as ``extra``: kept as keys.
            foreign_pre_chain=[
                *stamped,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                _drop_colour_copies,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    # Configuring twice (tests build several apps) replaces our handler, keeps anyone else's.
    root.handlers = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(level.upper())
    for name in _FRAMEWORK_LOGGERS:
        framework = logging.getLogger(name)
        for own in list(framework.handlers):
            framework.removeHandler(own)
        framework.propagate = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def _drop_colour_copies(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event


def broker_logger() -> logging.Logger:
    return logging.getLogger(BROKER_LOGGER)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Bind e.g. ``session_id`` and ``interaction_id`` to every log line inside the block."""
    with structlog.contextvars.bound_contextvars(**values):
        yield
