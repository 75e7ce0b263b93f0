"""Structured logging: JSON lines with the session and interaction bound by context."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

import structlog


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
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_STDERR),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level.upper(),
        stream=_STDERR,
        format="%(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Bind e.g. ``session_id`` and ``interaction_id`` to every log line inside the block."""
    with structlog.contextvars.bound_contextvars(**values):
        yield
