"""What the agent cannot mend, said plainly: a dependency that cannot be fetched, a host the
fetch may not reach, a lock that does not match mix.exs, an Elixir requirement this runner
does not meet, dependencies without a lock, a database server that is down, a project that
needs a database when none is configured. Each ends the step with a reason naming the
dependency or the setting (``transient`` for the server that is down).

PrepareProject finds every one of them before Generate, with no test written yet, so the
session ends before a model call; RunTests still finds them (``fixable=false``) when they
appear later, e.g. a database server that went down meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cts_contracts import PrepareProjectData, ResultStatus, RunTestsData, Step
from cts_test_runner.process import ProcessResult
from cts_testing.network import free_port

from .shop import FETCH, ShopRuns, labels, replace_in

SLUG = '{:cts_slug, git: "https://git.cts.test/cts_slug.git", tag: "v0.1.0"}'


PREPARE = Step.PREPARE_PROJECT
BOTH_STEPS = pytest.mark.parametrize("step", [Step.PREPARE_PROJECT, Step.RUN_TESTS])


def _unfixable(outcome: object) -> str:
    assert getattr(outcome, "status", None) is ResultStatus.ERROR
    data = getattr(outcome, "data", None)
    if isinstance(data, RunTestsData):
        assert data.fixable is False
    else:
        assert isinstance(data, PrepareProjectData)
    assert data.toolchain is not None
    message = getattr(outcome, "error_message", None)
    assert isinstance(message, str)
    assert message in data.report
    return message


def _ran_tests(runs: list[ProcessResult]) -> bool:
    return any(run.argv[:1] == ("elixir",) for run in runs)


async def test_a_dependency_that_cannot_be_fetched_is_named(shop: ShopRuns) -> None:
    runner, recorder = shop.runner()
    gone = SLUG.replace("cts_slug.git", "cts_gone.git").replace(":cts_slug", ":cts_gone")
    session = shop.session(
        project="shop-gone", edit=_with_dependency(gone, "cts_gone"), step=PREPARE
    )

    message = _unfixable(await runner(session))

    assert "dependency cts_gone (https://git.cts.test/cts_gone.git" in message
    assert "could not be fetched" in message
    assert labels(recorder) == [FETCH]


async def test_a_host_the_fetch_may_not_reach_is_named_with_its_setting(shop: ShopRuns) -> None:
    runner, recorder = shop.runner()
    elsewhere = SLUG.replace("git.cts.test", "git.elsewhere.test").replace("cts_slug", "cts_far")
    session = shop.session(
        project="shop-far", edit=_with_dependency(elsewhere, "cts_far"), step=PREPARE
    )

    message = _unfixable(await runner(session))

    assert "dependency cts_far" in message
    assert "git.elsewhere.test:443 is not an allowed dependency host (CTS_DEPS_ALLOWED_HOSTS)" in (
        message
    )
    assert not _ran_tests(recorder.runs)


async def test_a_lock_that_does_not_match_mix_exs_is_named(shop: ShopRuns) -> None:
    runner, recorder = shop.runner()
    session = shop.session(
        project="shop-lock",
        edit=replace_in("mix.exs", 'tag: "v0.1.0"}', 'branch: "main"}'),
        step=PREPARE,
    )

    message = _unfixable(await runner(session))

    assert "mix.lock does not match" in message
    assert "cts_money: mix.lock pins https://git.cts.test/cts_money.git at" in message
    assert "Run mix deps.get and commit mix.lock" in message
    assert not _ran_tests(recorder.runs)


async def test_an_elixir_requirement_this_runner_does_not_meet_names_both_versions(
    shop: ShopRuns,
) -> None:
    runner, _ = shop.runner()
    session = shop.session(
        project="shop-elixir",
        edit=replace_in("mix.exs", 'elixir: "~> 1.14"', 'elixir: "~> 1.99"'),
        step=PREPARE,
    )

    message = _unfixable(await runner(session))

    toolchain = await runner.toolchain()
    assert toolchain is not None
    assert "the project needs Elixir ~> 1.99 (mix.exs, app :shop); this test-runner has " in (
        message
    )
    assert toolchain.elixir in message


async def test_dependencies_without_a_lock_ask_for_one(shop: ShopRuns) -> None:
    runner, recorder = shop.runner()
    session = shop.session(
        project="shop-unlocked", edit=lambda w: (w / "mix.lock").unlink(), step=PREPARE
    )

    message = _unfixable(await runner(session))

    assert "declares dependencies (cts_slug, cts_money) but has no mix.lock" in message
    assert FETCH not in labels(recorder)


@BOTH_STEPS
async def test_a_database_server_that_is_down_is_transient_and_named(
    shop: ShopRuns, tmp_path: Path, step: Step
) -> None:
    down = tmp_path / "down-url"
    down.write_text(f"postgresql://postgres:secret-word@127.0.0.1:{free_port()}/postgres")
    runner, _ = shop.runner(test_database_url_file=down, test_database_connect_timeout_s=2)

    outcome = await runner(shop.session(step=step))

    assert outcome.status is ResultStatus.TRANSIENT
    assert outcome.error_message is not None
    assert "the run's database server 127.0.0.1:" in outcome.error_message
    assert "(CTS_TEST_DATABASE_URL) is not reachable" in outcome.error_message
    assert "secret-word" not in outcome.error_message


@BOTH_STEPS
async def test_a_project_that_needs_a_database_when_none_is_configured_names_the_setting(
    shop: ShopRuns, step: Step
) -> None:
    runner, _ = shop.runner(test_database_url_file=None)

    message = _unfixable(await runner(shop.session(step=step)))

    assert "the project connects to a database (localhost:5432 in its run)" in message
    assert "set CTS_TEST_DATABASE_URL (or CTS_TEST_DATABASE_URL_FILE)" in message


def _with_dependency(declaration: str, name: str) -> Callable[[Path], None]:
    """mix.exs declaring ``declaration`` instead of cts_slug, and a lock pinning it."""

    def edit(workspace: Path) -> None:
        replace_in("mix.exs", SLUG, declaration)(workspace)
        lock = (workspace / "mix.lock").read_text()
        url = declaration.split('git: "', 1)[1].split('"', 1)[0]
        line = f'  "{name}": {{:git, "{url}", "{"0" * 40}", [tag: "v0.1.0"]}},\n'
        (workspace / "mix.lock").write_text(lock.replace("%{\n", "%{\n" + line, 1))

    return edit
