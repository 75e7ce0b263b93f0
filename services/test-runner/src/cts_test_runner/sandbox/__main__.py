"""``python -m cts_test_runner.sandbox``: start the configured sandbox once, the way RunTests
does, and print what a command inside it sees: its user, its root, its processes, its network
and its environment. For an operator checking a host or a pod (``kubectl exec``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cts_test_runner.sandbox import RunDirs, SandboxUnavailable, make_sandbox
from cts_test_runner.settings import TestRunnerSettings

PROBE = r"""
echo "user:    $(id)"
echo "host:    $(hostname)"
echo "root:    $(ls / | tr '\n' ' ')"
echo "procs:   $(ls /proc 2>/dev/null | grep -c '^[0-9]' || echo 'no /proc') visible"
echo "network: $(tail -n +3 /proc/net/dev 2>/dev/null | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
echo "env:     $(env | cut -d= -f1 | sort | tr '\n' ' ')"
"""


def main() -> int:
    settings = TestRunnerSettings()
    try:
        sandbox = make_sandbox(settings)
        sandbox.self_test()
    except SandboxUnavailable as unavailable:
        print(f"sandbox unavailable: {unavailable}", file=sys.stderr)
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="cts-sandbox-check-"))
    try:
        scratch.chmod(0o711)
        dirs = RunDirs(scratch / "tree", scratch / "build", scratch / "reports")
        for directory in (dirs.tree, dirs.build, dirs.reports):
            directory.mkdir()
        sandbox.prepare(dirs)
        launch = sandbox.launch(("sh", "-c", PROBE), env={"LANG": "C.UTF-8"}, dirs=dirs)
        done = subprocess.run(
            launch.argv, env=dict(launch.env), cwd=launch.cwd, check=False, timeout=60
        )
        return done.returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        sandbox.close()


if __name__ == "__main__":
    sys.exit(main())
