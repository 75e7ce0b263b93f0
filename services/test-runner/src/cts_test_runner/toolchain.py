"""The Elixir and Erlang/OTP this test-runner runs, and a project's ``elixir:`` requirement
that excludes them.

The versions are read once, outside the sandbox (the system's own ``elixir``, no project
code). They are part of every RunTests result and of the dependency cache's key: a build made
by one toolchain is never reused by another. Mix itself refuses a project whose requirement
excludes the running Elixir; its message is turned into a reason the fix loop cannot be
expected to mend, naming both versions.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from cts_runtime.logs import get_logger

log = get_logger(__name__)

PROBE = (
    'r = :erlang.system_info(:otp_release); f = Path.join([:code.root_dir(), "releases", '
    'to_string(r), "OTP_VERSION"]); o = case File.read(f) do {:ok, v} -> String.trim(v); '
    '_ -> to_string(r) end; IO.puts("cts-toolchain " <> System.version() <> " " <> o)'
)
REQUIREMENT = re.compile(
    r"You're trying to run :(?P<app>\S+) on Elixir v(?P<running>\S+) but it has declared in "
    r"its mix\.exs file it supports only Elixir (?P<wanted>[^\n]+)"
)


@dataclass(frozen=True)
class Toolchain:
    elixir: str
    otp: str

    def __str__(self) -> str:
        return f"Elixir {self.elixir} (Erlang/OTP {self.otp})"


async def probe_toolchain(timeout_s: float = 60) -> Toolchain | None:
    """``None`` where Elixir is not installed (a pytest-only runner)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            "elixir",
            "-e",
            PROBE,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError:
        log.warning("no Elixir on this test-runner")
        return None
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    for line in output.decode(errors="replace").splitlines():
        if line.startswith("cts-toolchain "):
            _, elixir, otp = line.split(" ", 2)
            return Toolchain(elixir=elixir, otp=otp)
    return None


def unsupported_elixir(output: str, toolchain: Toolchain | None) -> str | None:
    """The reason a run cannot go on, when Mix refused the project's ``elixir:`` requirement."""
    found = REQUIREMENT.search(output)
    if found is None:
        return None
    running = toolchain.elixir if toolchain else found["running"]
    otp = f" (Erlang/OTP {toolchain.otp})" if toolchain else ""
    return (
        f"the project needs Elixir {found['wanted'].strip()} (mix.exs, app :{found['app']}); "
        f"this test-runner has {running}{otp}"
    )
