"""Reliability tests only (``CTS_FAULT_INJECTION``): a ``Recorded`` hook that dies as a crash
would, with the decision claimed (its document not yet written) and nothing published."""

from __future__ import annotations

import os
import signal

from cts_contracts import Step
from cts_core import Session
from cts_orchestrator.ports import Recorded
from cts_runtime.logs import get_logger

log = get_logger(__name__)


def crash_after_record(step: Step | None) -> Recorded:
    """SIGKILL at the first decision recorded; with ``step``, at the first whose command is
    for that step."""

    def crash(session: Session) -> None:
        command = session.in_flight
        if step is not None and (command is None or command.step is not step):
            return
        log.warning("fault injection: SIGKILL after recording, before publishing",
                    step=command.step.value if command else None)  # fmt: skip
        os.kill(os.getpid(), signal.SIGKILL)

    return crash
