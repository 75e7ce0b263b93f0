"""Preparing a dependency cache entry: ``mix deps.get`` with the network a fetch needs and
nothing else, the lock checked against what Mix resolved, then ``mix deps.compile`` with no
network at all. Every failure is a reason naming the dependency or the setting involved.

The fetch's sandbox reaches out only through the allow-listing proxy (``reach.fetch_proxy``)
on a loopback port (``HTTPS_PROXY``); Hex's settings and key come from the service's
configuration, and only the fetch ever sees the key.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from cts_runtime.logs import get_logger
from cts_test_runner.dependencies import mix_lock
from cts_test_runner.dependencies.cache_entry import CacheEntry
from cts_test_runner.process import ProcessResult
from cts_test_runner.reach.fetch_proxy import FetchProxy
from cts_test_runner.runners.base import Command
from cts_test_runner.sandbox import Forward, RunDirs, Sandbox
from cts_test_runner.sandbox_commands import SandboxCommands
from cts_test_runner.settings import TestRunnerSettings
from cts_test_runner.toolchain import Toolchain, unsupported_elixir

log = get_logger(__name__)

PROXY_PORT = 3128
GETTING = re.compile(r"^\* Getting (?P<name>\S+) \((?P<source>.+?)\)\s*$", re.MULTILINE)
COMPILING = re.compile(r"^==> (?P<name>\S+)\s*$", re.MULTILINE)
TAIL_LINES = 15
PROGRESS = re.compile(r"^remote: (Enumerating|Counting|Compressing|Total) ")


@dataclass(frozen=True)
class DepsFailure:
    summary: str
    reason: str
    runs: tuple[ProcessResult, ...] = ()


class DependencyPreparation:
    def __init__(
        self, settings: TestRunnerSettings, sandbox: Sandbox, commands: SandboxCommands
    ) -> None:
        self._settings = settings
        self._sandbox = sandbox
        self._commands = commands

    async def ensure(
        self, entry: CacheEntry, dirs: RunDirs, toolchain: Toolchain | None, scratch: Path
    ) -> DepsFailure | None:
        """Make ``entry`` ready (fetched, checked, compiled) unless it already is."""
        if entry.ready():
            entry.touch()
            log.info("dependency cache hit", entry=entry.root.name)
            return None
        started = time.monotonic()
        entry.reset()
        self._sandbox.prepare(dirs)
        lock_before = (dirs.tree / "mix.lock").read_text(encoding="utf-8", errors="replace")
        deadline = started + self._settings.deps_timeout_s
        fetch = await self._fetch(dirs, scratch, deadline, toolchain)
        if isinstance(fetch, DepsFailure):
            return fetch
        lock_after = (dirs.tree / "mix.lock").read_text(encoding="utf-8", errors="replace")
        changed = mix_lock.changes(lock_before, lock_after)
        if changed:
            return DepsFailure(
                "mix.lock does not match mix.exs",
                "mix.lock does not match the dependencies mix.exs declares (mix deps.get had to "
                "change it): " + "; ".join(changed) + ". Run mix deps.get and commit mix.lock.",
                (fetch,),
            )
        fetched_s = time.monotonic() - started
        compiled = await self._compile(dirs, deadline, toolchain)
        if isinstance(compiled, DepsFailure):
            return compiled
        details = {"fetch_s": round(fetched_s, 2), "compile_s": round(compiled.duration_s, 2)}
        size = entry.mark_ready({**details, "toolchain": str(toolchain)})
        log.info("dependency cache entry ready", entry=entry.root.name, bytes=size, **details)
        return None

    async def _fetch(
        self, dirs: RunDirs, scratch: Path, deadline: float, toolchain: Toolchain | None
    ) -> ProcessResult | DepsFailure:
        proxy = FetchProxy(self._settings.fetch_hosts(), resolve=self._settings.resolved())
        socket = scratch / "proxy.sock"
        await proxy.start(socket)
        try:
            port = self._sandbox.loopback_port(PROXY_PORT)
            key = self._settings.repos_key()
            command = Command(
                ("mix", "deps.get", "--only", "test"),
                self._fetch_env(dirs, port, key),
                "mix deps.get",
                tools=self._ca_tools(),
            )
            (run,) = await self._commands.run(
                [command],
                dirs,
                timeout_s=deadline - time.monotonic(),
                forwards=[Forward("proxy", port, socket)],
                writable_deps=True,
                secrets=(key,) if key else (),
            )
        finally:
            await proxy.close()
        if run.succeeded:
            return run
        return _failure(run, toolchain) or _fetch_failure(run, proxy, self._settings)

    async def _compile(
        self, dirs: RunDirs, deadline: float, toolchain: Toolchain | None
    ) -> ProcessResult | DepsFailure:
        command = Command(("mix", "deps.compile"), self._mix_env(dirs), "mix deps.compile")
        (run,) = await self._commands.run(
            [command], dirs, timeout_s=deadline - time.monotonic(), writable_deps=True
        )
        if run.succeeded:
            return run
        if failure := _failure(run, toolchain):
            return failure
        names = COMPILING.findall(run.output)
        which = f"dependency {names[-1]}" if names else "the dependencies"
        return DepsFailure(
            f"{which} does not compile",
            f"{which} did not compile (MIX_ENV=test mix deps.compile): {_tail(run)}",
            (run,),
        )

    def _mix_env(self, dirs: RunDirs) -> dict[str, str]:
        inside = self._sandbox.view(dirs)
        assert inside.deps is not None
        return {
            "MIX_ENV": "test",
            "MIX_DEPS_PATH": str(inside.deps),
            "MIX_BUILD_ROOT": str(inside.build),
        }

    def _fetch_env(self, dirs: RunDirs, port: int, key: str | None) -> dict[str, str]:
        settings = self._settings
        inside = self._sandbox.view(dirs)
        proxy = f"http://127.0.0.1:{port}"
        env = {**self._mix_env(dirs), "GIT_TERMINAL_PROMPT": "0"}
        # The key is read by the project's own mix.exs as much as by Hex (one VM): give the
        # fetch a key that reads no more than any of the projects may.
        env |= {name: proxy for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")}
        assert inside.hex is not None  # the caller binds CTS_HEX_HOME or the entry's own
        env["HEX_HOME"] = str(inside.hex)
        if settings.deps_ca_file is not None:
            ca = self._sandbox.tool(settings.deps_ca_file)
            env |= {"GIT_SSL_CAINFO": ca, "HEX_CACERTS_PATH": ca}
        if settings.hex_mirror:
            env["HEX_MIRROR"] = settings.hex_mirror
        if settings.hex_offline:
            env["HEX_OFFLINE"] = "1"
        if key:
            env["HEX_REPOS_KEY"] = key
        return env

    def _ca_tools(self) -> tuple[Path, ...]:
        ca = self._settings.deps_ca_file
        return (ca,) if ca is not None else ()


def _failure(run: ProcessResult, toolchain: Toolchain | None) -> DepsFailure | None:
    """What every step checks first: its time, and the project's Elixir requirement."""
    if run.timed_out:
        return DepsFailure(
            "fetching and compiling the dependencies timed out",
            f"`{' '.join(run.argv)}` did not finish within CTS_DEPS_TIMEOUT_S: {_tail(run)}",
            (run,),
        )
    if reason := unsupported_elixir(run.output, toolchain):
        return DepsFailure("the project needs another Elixir", reason, (run,))
    return None


def _fetch_failure(
    run: ProcessResult, proxy: FetchProxy, settings: TestRunnerSettings
) -> DepsFailure:
    getting = GETTING.findall(run.output)
    name, source = getting[-1] if getting else ("", "")
    short = f"dependency {name}" if name else "the dependencies"
    which = f"{short} ({source})" if name else short
    why = []
    for host in proxy.refused():
        why.append(f"{host} is not an allowed dependency host (CTS_DEPS_ALLOWED_HOSTS)")
    for host in proxy.unreachable():
        why.append(f"{host} could not be reached")
    if settings.hex_offline and not why:
        why.append("CTS_HEX_OFFLINE is set")
    detail = "; ".join(why) + ". " if why else ""
    return DepsFailure(
        f"{short} could not be fetched",
        f"{which} could not be fetched (mix deps.get): {detail}{_tail(run)}",
        (run,),
    )


def _tail(run: ProcessResult) -> str:
    """The end of the output, without git's progress lines."""
    lines = [
        line
        for line in run.output.strip().splitlines()
        if line.strip() and not PROGRESS.match(line)
    ]
    return "\n".join(lines[-TAIL_LINES:])[-3000:] or f"exit code {run.exit_code}"
