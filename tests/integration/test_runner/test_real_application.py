"""RunTests on an application with dependencies and a database (``examples/shop_app``): the
dependencies fetched through the proxy and compiled once per cache entry, then reused
read-only; every run with a PostgreSQL database of its own, dropped afterwards. Real git over
HTTPS, real ``mix``, real bubblewrap, the local stack's real PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from structlog.testing import capture_logs

from cts_contracts import Expect, PrepareProjectData, ResultStatus, RunTestsData, Step
from cts_testing.stack import database_url_file

from .shop import COMPILE_DEPS, DEPENDENCY_BUILD, FETCH, LEDGER, ShopRuns, labels


def _databases(names: list[str]) -> list[str]:
    with psycopg.connect(database_url_file().read_text().strip()) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,)
        ).fetchall()
        return [str(row[0]) for row in rows]


def _run_roles() -> list[str]:
    with psycopg.connect(database_url_file().read_text().strip()) as conn:
        rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'cts_run_%'")
        return [str(row[0]) for row in rows.fetchall()]


async def test_dependencies_are_fetched_once_then_reused_and_every_run_has_its_own_database(
    shop: ShopRuns,
) -> None:
    runner, recorder = shop.runner()
    roles_before = set(_run_roles())

    with capture_logs() as logs:  # whatever format and stream the logging was given
        cold = await runner(shop.session())
        cold_labels = labels(recorder)
        warm_red = await runner(shop.session(LEDGER, expect=Expect.RED))
        warm = await runner(shop.session())

    for outcome in (cold, warm_red, warm):
        assert outcome.status is ResultStatus.OK, outcome.error_message
        assert isinstance(outcome.data, RunTestsData)
        assert outcome.data.toolchain is not None
        assert outcome.data.toolchain.elixir.startswith("1.")
    assert isinstance(cold.data, RunTestsData)
    assert cold.data.passed == 7
    assert isinstance(warm_red.data, RunTestsData)
    assert warm_red.data.failed == 5
    assert cold_labels[:2] == [FETCH, COMPILE_DEPS]
    built = DEPENDENCY_BUILD.findall(recorder.runs[1].output)
    assert sorted(built) == ["cts_money", "cts_slug", "shop_sql"]
    # The warm runs: no fetch, no dependency compiled again, only the app's own commands.
    later = recorder.runs[len(cold_labels) :]
    assert FETCH not in labels(recorder)[len(cold_labels) :]
    assert all(not DEPENDENCY_BUILD.search(run.output) for run in later)
    dropped = [entry for entry in logs if entry["event"] == "run database dropped"]
    assert len(dropped) == 3, logs[-20:]
    names = [name for entry in dropped for name in entry["databases"]]
    assert len(set(names)) == 3
    assert all(name.startswith("shop_test") for name in names)
    assert _databases(names) == []  # dropped after each run
    assert set(_run_roles()) == roles_before  # and the runs' roles with them


async def test_prepare_project_readies_dependencies_build_and_database_before_any_test(
    shop: ShopRuns,
) -> None:
    runner, recorder = shop.runner()
    prepare = Step.PREPARE_PROJECT

    first = await runner(shop.session(project="shop-prepared", step=prepare))
    first_labels = labels(recorder)
    again = await runner(shop.session(project="shop-prepared", step=prepare))
    run = await runner(shop.session(project="shop-prepared"))

    assert first.status is ResultStatus.OK, first.error_message
    assert isinstance(first.data, PrepareProjectData)
    assert (first.data.dependencies, first.data.compiled) == ("fetched", True)
    assert first.data.databases == 1, "the test alias created the run's database"
    assert first.data.toolchain is not None
    assert first_labels == [FETCH, COMPILE_DEPS, "mix compile", "elixir -r"]
    assert isinstance(again.data, PrepareProjectData)
    assert again.data.dependencies == "reused"
    assert run.status is ResultStatus.OK, run.error_message
    assert isinstance(run.data, RunTestsData)
    assert run.data.passed == 7
    later = recorder.runs[len(first_labels) :]
    assert FETCH not in labels(recorder)[len(first_labels) :]
    assert all(not DEPENDENCY_BUILD.search(run.output) for run in later)


async def test_two_runs_of_a_new_project_at_once_fetch_its_dependencies_once(
    shop: ShopRuns,
) -> None:
    runner, recorder = shop.runner()

    first, second = await asyncio.gather(
        runner(shop.session(project="shop-twice")), runner(shop.session(project="shop-twice"))
    )

    assert first.status is ResultStatus.OK, first.error_message
    assert second.status is ResultStatus.OK, second.error_message
    assert labels(recorder).count(FETCH) == 1
    assert labels(recorder).count(COMPILE_DEPS) == 1


ISOLATION_TEST = """
defmodule Shop.Catalog.ProductRepositoryTest do
  use Shop.DataCase, async: true

  alias Shop.Catalog.ProductRepository

  describe "insert/1" do
    test "stores a product and returns it with its slug" do
      {:ok, product} = ProductRepository.insert(%{sku: "ISO-1", name: "Iso Mug", price_cents: 1})
      assert product.slug == "iso-mug"
    end

    test "the dependencies are read-only and nothing but the database is reachable" do
      deps = System.fetch_env!("MIX_DEPS_PATH")
      assert {:error, _} = File.write(Path.join(deps, "planted"), "x")
      assert {:error, _} = File.write(Path.join([deps, "cts_slug", "mix.exs"]), "x")
      assert {:error, _} = :gen_tcp.connect(~c"127.0.0.1", 3128, [], 1000)
      assert {:error, _} = :gen_tcp.connect(~c"git.cts.test", 443, [], 1000)
      assert System.get_env("HEX_REPOS_KEY") == nil
      IO.puts("the run's password: #{System.fetch_env!("PGPASSWORD")}")
    end
  end
end
"""


async def test_a_test_run_sees_its_dependencies_read_only_and_no_network(
    shop: ShopRuns,
) -> None:
    runner, _ = shop.runner(hex_repos_key="a-secret-only-fetches-see", alignment_threshold=0)

    outcome = await runner(shop.session(test=ISOLATION_TEST))

    assert isinstance(outcome.data, RunTestsData)
    assert outcome.status is ResultStatus.OK, outcome.data.report[-3000:]
    assert outcome.data.passed == 2
    assert "the run's password: ***" in outcome.data.report  # cut out of what it printed
    entry = next((shop.root / ".build-cache" / "acme" / "shop" / "deps").iterdir())
    assert not (entry / "deps" / "planted").exists()


def test_the_committed_lock_pins_the_served_libraries(shop: ShopRuns) -> None:
    """examples/libs and examples/shop_app/mix.lock move together (a changed library changes
    its commit)."""
    lock = (Path(__file__).parents[3] / "examples" / "shop_app" / "mix.lock").read_text()
    for name, sha in shop.deps.shas.items():
        assert f'"{name}": {{:git, "https://git.cts.test/{name}.git", "{sha}"' in lock
