"""Reasons a run could not judge its tests, read from what Mix and the lock say: worded for a
person, naming the dependency, the versions or the setting."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cts_test_runner.dependencies import mix_lock
from cts_test_runner.dependency_settings import DependencySettings, host_port
from cts_test_runner.environment_problems import after_the_run
from cts_test_runner.process import ProcessResult
from cts_test_runner.reach.postgres_admin import PostgresAdmin
from cts_test_runner.reach.run_database import DatabaseUse, RunDatabase
from cts_test_runner.sandbox_commands import redacted
from cts_test_runner.toolchain import Toolchain, unsupported_elixir

SHA = "c2a02fa0126bb80ce086c0419db48a683c6040e2"
LOCK = (
    "%{\n"
    f'  "cts_money": {{:git, "https://git.cts.test/cts_money.git", "{SHA}", [tag: "v0.1.0"]}},\n'
    f'  "jason": {{:hex, :jason, "1.4.1", "{"a" * 64}", [:mix], [], "hexpm", "{"b" * 64}"}},\n'
    "}\n"
)


def _run(output: str, code: int = 1) -> ProcessResult:
    return ProcessResult(("mix", "compile"), code, output, len(output), False, False, 0.1, 1, "r")


def test_a_changed_lock_entry_names_the_dependency_and_both_sources() -> None:
    after = LOCK.replace("c2a02fa0126b", "0000000000ab").replace('"1.4.1"', '"1.4.2"')
    after = after.replace("%{\n", '%{\n  "new_dep": {:git, "https://x.test/n.git", "ab12", []},\n')

    changes = mix_lock.changes(LOCK, after)

    assert changes == [
        "cts_money: mix.lock pins https://git.cts.test/cts_money.git at c2a02fa0126b, mix.exs "
        "asks for https://git.cts.test/cts_money.git at 0000000000ab",
        "jason: mix.lock pins version 1.4.1 from Hex, mix.exs asks for version 1.4.2 from Hex",
        "new_dep: not in mix.lock (mix.exs asks for https://x.test/n.git at ab12)",
    ]
    assert mix_lock.changes(LOCK, LOCK) == []


def test_an_elixir_requirement_is_read_from_mixs_refusal() -> None:
    output = (
        "** (Mix) You're trying to run :shop on Elixir v1.14.0 but it has declared in its "
        "mix.exs file it supports only Elixir ~> 1.17\n"
    )
    assert unsupported_elixir(output, Toolchain("1.14.0", "25.2.3")) == (
        "the project needs Elixir ~> 1.17 (mix.exs, app :shop); this test-runner has 1.14.0 "
        "(Erlang/OTP 25.2.3)"
    )
    assert unsupported_elixir("Compiling 3 files (.ex)", None) is None


def test_dependencies_without_a_lock_are_named() -> None:
    output = (
        "Unchecked dependencies for environment test:\n"
        "* cts_slug (https://git.cts.test/cts_slug.git - v0.1.0)\n"
        '  the dependency is not available, run "mix deps.get"\n'
        "** (Mix) Can't continue due to errors on dependencies\n"
    )
    problem = after_the_run([_run(output)], DatabaseUse(), None, has_lock=False)

    assert problem is not None
    assert "declares dependencies (cts_slug) but has no mix.lock" in problem.reason
    assert after_the_run([_run(output)], DatabaseUse(), None, has_lock=True) is None


def test_allowed_hosts_default_to_https_and_a_mirror_adds_its_own() -> None:
    settings = DependencySettings(
        deps_allowed_hosts="Git.Example.com, mirror.test:8443",
        hex_mirror="https://hex-mirror.test/repo",
        deps_resolve="git.example.com=10.0.0.7:443",
    )
    assert settings.fetch_hosts() == {
        "git.example.com:443",
        "mirror.test:8443",
        "hex-mirror.test:443",
    }
    assert settings.resolved() == {"git.example.com:443": ("10.0.0.7", 443)}
    assert host_port("[::1]:8080") == "[::1]:8080"


async def test_a_run_database_without_a_server_names_the_setting(tmp_path: Path) -> None:
    database = RunDatabase(None, port=5432)
    env = database.environment()
    await database.start(tmp_path / "db.sock")
    reader, writer = await _connect(tmp_path / "db.sock")
    assert await reader.read() == b""  # closed at once
    writer.close()
    use = await database.finish()

    assert use.connections == 1
    assert not use.transient
    assert use.problem is not None
    assert "set CTS_TEST_DATABASE_URL (or CTS_TEST_DATABASE_URL_FILE)" in use.problem
    assert env["PGUSER"] == database.role
    assert env["DATABASE_URL"] == (
        f"postgres://{database.role}:{env['PGPASSWORD']}@localhost:5432/{database.role}"
    )


async def test_a_server_that_is_down_is_transient_and_keeps_its_password(tmp_path: Path) -> None:
    admin = PostgresAdmin("postgresql://boss:hunter2@127.0.0.1:1/postgres", connect_timeout_s=2)
    database = RunDatabase(admin, port=5432)
    await database.start(tmp_path / "db.sock")
    reader, writer = await _connect(tmp_path / "db.sock")
    assert await reader.read() == b""
    writer.close()
    use = await database.finish()

    assert use.transient
    assert use.problem is not None
    assert use.problem.startswith(
        "the run's database server 127.0.0.1:1 (CTS_TEST_DATABASE_URL) is not reachable:"
    )
    assert "hunter2" not in use.problem
    assert use.databases == []


async def _connect(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(str(path))


def test_secrets_are_cut_out_of_output_and_report() -> None:
    run = ProcessResult(
        ("mix", "test"), 0, "key=s3cr3t-value!", 17, False, False, 0.1, 1, "r",
        channel=b'{"message": "s3cr3t-value!"}',
    )  # fmt: skip
    clean = redacted(run, ["s3cr3t-value!", "short"])
    assert clean.output == "key=***"
    assert clean.channel == b'{"message": "***"}'
    assert redacted(run, []) is run
