"""What a command inside the bubblewrap sandbox sees and reaches, in both ways it is started:
as the root service does (drop to the sandbox user) and as a non-root service does (a user
namespace of its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from cts_test_runner.sandbox import RunDirs
from cts_test_runner.sandbox.bubblewrap import Bubblewrap

PROBE = """
id -u; hostname; echo $(ls /)
ls /proc | grep -c '^[0-9]'
cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '
cat /run-secret 2>&1 || true
ls {outside} 2>&1 || true
touch /ws/written && echo wrote-tree
touch /usr/x 2>&1 || true
"""
SERVICE_UID = 10001
"""The chart's pod user, for the non-root way."""


def _dirs(run: Path, owner: int | None = None) -> RunDirs:
    run.mkdir(mode=0o711)
    run.chmod(0o711)
    dirs = RunDirs(run / "tree", run / "build", run / "reports")
    for directory in (dirs.tree, dirs.build, dirs.reports):
        directory.mkdir()
        if owner is not None:
            os.chown(directory, owner, owner)
    return dirs


def _probe(sandbox: Bubblewrap, dirs: RunDirs, outside: Path, as_user: int | None) -> list[str]:
    sandbox.prepare(dirs)
    launch = sandbox.launch(("sh", "-c", PROBE.format(outside=outside)), env={}, dirs=dirs)
    argv = list(launch.argv)
    if as_user is not None:  # a service that is not root starts bwrap as itself
        argv = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *argv]
    done = subprocess.run(
        argv,
        env=dict(launch.env),
        cwd=launch.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(os.geteuid() != 0, reason="starting either way needs root here")
@pytest.mark.parametrize("privileged", [True, False], ids=["as-root", "as-a-non-root-service"])
def test_the_sandbox_sees_one_run_and_nothing_of_the_host(tmp_path: Path, privileged: bool) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other-session.ex").write_text("secret")
    sandbox = Bubblewrap(uid=65534, gid=65534, privileged=privileged)
    # Under /tmp itself: a non-root service must be able to reach its own run directories.
    scratch = Path(tempfile.mkdtemp(prefix="cts-sandbox-test-"))
    try:
        dirs = _dirs(scratch / "run", None if privileged else SERVICE_UID)
        scratch.chmod(0o711)
        lines = _probe(sandbox, dirs, outside, None if privileged else SERVICE_UID)
        wrote = (dirs.tree / "written").exists()
    finally:
        sandbox.close()
        shutil.rmtree(scratch, ignore_errors=True)

    uid, host, root, processes, interfaces, *rest = lines
    assert uid == "65534"
    assert host == "cts-sandbox"
    assert root.split() == [
        "bin", "build", "dev", "etc", "lib", "lib64", "opt", "proc", "reports", "sbin", "tmp",
        "usr", "ws",
    ]  # fmt: skip
    assert int(processes) <= 5, "only the sandbox's own processes are visible"
    assert interfaces == "lo"
    assert "No such file or directory" in rest[0]
    assert "No such file or directory" in rest[1], "a path of the host is visible"
    assert rest[2] == "wrote-tree"
    assert "Read-only file system" in rest[3]
    assert wrote, "the run's tree is writable and is the directory the runner gave it"
