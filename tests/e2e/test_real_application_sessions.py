"""Sessions on an application with dependencies and a database (``examples/shop_app``), all
four services as separate processes: a red session (the designed-only StockLedger) and a
green one (ProductRepository) of the same project at once, with DataCase tests and fixtures
that insert rows, each in a database of its own; and a session whose dependency the
test-runner may not fetch, which ends at PrepareProject, before Generate: no model call."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cts_contracts import SessionRequested
from cts_contracts.naming import branch_name
from cts_contracts.topics import SESSION_FINISHED, SESSION_REQUESTED, STEP_COMPLETED, topic
from cts_testing.deps_server import serve_deps
from cts_testing.factories import session_requested
from cts_testing.kafka import Collector, publish
from cts_testing.scripted_llm.script import parse_script
from cts_testing.stack import Endpoints, database_url_file, repo_root
from tests.reliability.fleet import Fleet, fleet

APP = repo_root() / "examples" / "shop_app"
SCRIPT = repo_root() / "examples" / "scripts" / "shop.yaml"
LEDGER, REPOSITORY = "Shop.Catalog.StockLedger", "Shop.Catalog.ProductRepository"


def _show(bare: Path, what: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(bare), "show", what], check=True, capture_output=True, text=True
    )
    return done.stdout


def bare_repository(source: Path, bare: Path, edit: Any = None) -> str:
    """``source`` committed on ``main`` of a new bare repository; its ``file://`` URL."""
    work = bare.with_name(bare.name + "-seed")
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("_build", "deps"))
    if edit is not None:
        edit(work)
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("-c", "user.name=Shop", "-c", "user.email=shop@x", "commit", "-qm", "Shop"),
    ):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    shutil.rmtree(work)
    return f"file://{bare}"


def runner_log_events(system: Fleet, event: str) -> list[dict[str, Any]]:
    """The test-runner's JSON log lines for ``event`` (they carry the session they served)."""
    (runner,) = system.live("tests")
    return [
        json.loads(line)
        for line in runner.log_path.read_text(errors="replace").splitlines()
        if line.startswith("{") and f'"{event}"' in line
    ]


@pytest.fixture(scope="module")
async def shop(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Fleet]:
    """The four services and the scripted model (examples/scripts/shop.yaml), the test-runner
    fetching from the served libraries and giving runs databases on the local PostgreSQL."""
    root = tmp_path_factory.mktemp("shop-e2e")
    script = parse_script(yaml.safe_load(SCRIPT.read_text()), base=SCRIPT.parent)
    conversations = script.model_dump(mode="json", exclude_defaults=True)["conversations"]
    with serve_deps(root / "served") as deps:
        env = {
            "CTS_LOG_FORMAT": "json",
            "CTS_TEST_DATABASE_URL_FILE": str(database_url_file()),
            **deps.settings(),
        }
        async with fleet(stack, root, conversations, env=env) as running:
            yield running


def request(repo_url: str, module: str, expect: str, request_id: str) -> SessionRequested:
    return session_requested(
        account_id="e2e",
        project_id="shop",
        request_id=request_id,
        component={"module_name": module, "type": "repository"},
        repository={"url": repo_url, "base_ref": "main", "push": True},
        options={"expect": expect, "max_fix_attempts": 3},
    )


async def run_sessions(
    system: Fleet, requests: list[SessionRequested], within: float = 300
) -> dict[str, dict[str, Any]]:
    """Publish every request at once; each session's finish and step answers."""
    bootstrap = system.endpoints.kafka_bootstrap_servers
    ids = {r.data.session_id for r in requests}
    names = (topic(SESSION_FINISHED, system.prefix), topic(STEP_COMPLETED, system.prefix))
    async with Collector(bootstrap, *names) as events:
        for item in requests:
            key = item.data.session_id
            await publish(bootstrap, topic(SESSION_REQUESTED, system.prefix), item, key=key)

        def finished(seen: list[tuple[str, dict[str, Any]]]) -> bool:
            done = {v.get("subject") for t, v in seen if t.endswith("session.finished.v1")}
            return ids <= done

        try:
            await events.wait_for(finished, within=within)
        except AssertionError:
            raise AssertionError(f"sessions did not finish\n{system.logs()}") from None
    result: dict[str, dict[str, Any]] = {}
    for session_id in ids:
        mine = [(t, v) for t, v in events.events if v.get("subject") == session_id]
        result[session_id] = {
            "finished": next(v["data"] for t, v in mine if t.endswith("session.finished.v1")),
            "completed": [v["data"] for t, v in mine if t.endswith("step.completed.v1")],
        }
    return result


def _bare(system: Fleet, name: str, edit: Any = None) -> tuple[str, Path]:
    (system.root / "repos").mkdir(parents=True, exist_ok=True)
    bare = system.root / "repos" / f"{name}.git"
    return bare_repository(APP, bare, edit), bare


async def test_a_red_and_a_green_session_of_one_project_at_once_each_with_its_own_database(
    shop: Fleet,
) -> None:
    url, bare = _bare(shop, "shop")
    red = request(url, LEDGER, "red", "shop-red")
    green = request(url, REPOSITORY, "green", "shop-green")

    seen = await run_sessions(shop, [red, green])

    for item, passed, failed in ((red, 0, 5), (green, 7, 0)):
        session = seen[item.data.session_id]
        assert session["finished"]["status"] == "complete", f"{session}\n{shop.logs()}"
        steps = [(c["step"], c["status"]) for c in session["completed"]]
        assert steps == [
            ("initialize", "ok"),
            ("prepare_project", "ok"),
            ("generate_tests_and_fixtures", "ok"),
            ("run_tests", "ok"),
            ("finalize", "ok"),
        ]
        prepared = session["completed"][1]["data"]
        assert prepared["compiled"] is True
        assert prepared["dependencies"] in ("fetched", "reused")
        run = session["completed"][3]["data"]
        assert (run["total"], run["passed"], run["failed"]) == (passed + failed, passed, failed)
        assert run["toolchain"]["elixir"].startswith("1.")
        assert run["fixable"] is True
    red_test = "test/shop/catalog/stock_ledger_test.exs"
    assert "use Shop.DataCase" in _show(bare, f"{branch_name('StockLedger')}:{red_test}")
    dropped = runner_log_events(shop, "run database dropped")
    by_session = {event["session_id"]: event["databases"] for event in dropped}
    red_dbs, green_dbs = by_session[red.data.session_id], by_session[green.data.session_id]
    assert len(red_dbs) == len(green_dbs) == 1
    assert red_dbs != green_dbs
    assert all(name.startswith("shop_test") for name in red_dbs + green_dbs)


async def test_a_dependency_the_runner_may_not_fetch_ends_the_session_before_any_model_call(
    shop: Fleet,
) -> None:
    def elsewhere(work: Path) -> None:
        for name in ("mix.exs", "mix.lock"):
            path = work / name
            path.write_text(path.read_text().replace("git.cts.test/cts_money", "git.far.test/m"))

    url, _ = _bare(shop, "shop-far", elsewhere)
    asked = request(url, REPOSITORY, "green", "shop-far")
    before = len(await shop.model_requests())

    seen = await run_sessions(shop, [asked])

    session = seen[asked.data.session_id]
    finished = session["finished"]
    assert finished["status"] == "failed"
    assert [c["step"] for c in session["completed"]] == ["initialize", "prepare_project"]
    assert session["completed"][1]["status"] == "error"
    assert finished["reason"].startswith("PrepareProject failed: ")
    assert "dependency cts_money (https://git.far.test/m.git" in finished["reason"]
    assert (
        "git.far.test:443 is not an allowed dependency host (CTS_DEPS_ALLOWED_HOSTS)"
        in (finished["reason"])
    )
    assert len(await shop.model_requests()) == before, "the model was never asked"
