"""Where untrusted commands run: bubblewrap by default, ``none`` for development only."""

from __future__ import annotations

from cts_test_runner.sandbox.bubblewrap import Bubblewrap, SandboxUnavailable
from cts_test_runner.sandbox.port import Forward, Launch, RunDirs, Sandbox
from cts_test_runner.sandbox.unconfined import Unconfined
from cts_test_runner.settings import TestRunnerSettings

__all__ = ["Forward", "Launch", "RunDirs", "Sandbox", "SandboxUnavailable", "make_sandbox"]


def make_sandbox(settings: TestRunnerSettings) -> Bubblewrap | Unconfined:
    if settings.sandbox == "none":
        return Unconfined()
    return Bubblewrap(
        uid=settings.sandbox_uid,
        gid=settings.sandbox_gid,
        readonly=settings.sandbox_readonly_paths,
        mount_proc=settings.sandbox_mount_proc,
    )
