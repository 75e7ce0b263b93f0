"""The agent-runner on the real stack: the real SDK against a scripted server on a real port,
claims and transcripts in the real MongoDB-compatible server, a real session workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import structlog

from cts_agent_runner.anthropic_model import AnthropicModel
from cts_agent_runner.claims import MongoClaims
from cts_agent_runner.service import AgentStep
from cts_agent_runner.settings import AgentRunnerSettings
from cts_agent_runner.transcripts import MongoTranscripts
from cts_contracts import Step
from cts_contracts.step_requested import StepRequestedData
from cts_testing.factories import step_request
from cts_testing.scripted_llm import RunningServer, parse_script, serve_in_thread
from cts_testing.stack import Endpoints

MODULE = "MyApp.Accounts.UserRepository"
DESIGN = "docs/design/my_app/accounts/user_repository.md"
PARENT_DESIGN = "docs/design/my_app/accounts.md"
SOURCE = "lib/my_app/accounts/user_repository.ex"
TEST_FILE = "test/my_app/accounts/user_repository_test.exs"
FIXTURE_FILE = "test/support/fixtures/accounts/user_repository_fixtures.ex"
API_KEY = "sk-ant-api03-INTEGRATION-SECRET-6f0c2d9e"

DESIGN_TEXT = """# MyApp.Accounts.UserRepository

ETS-backed storage for users.

## Test Assertions

- describe "insert/2"
  - test "stores a new user"
- describe "get/2"
  - test "returns {:error, :not_found} for an unknown id"
"""
PARENT_TEXT = "# MyApp.Accounts (context)\n\nOwns users: User, UserRepository.\n"
TEST_TEXT = """defmodule MyApp.Accounts.UserRepositoryTest do
  use ExUnit.Case, async: true
  alias MyApp.Accounts.UserRepository
  import MyApp.Accounts.UserRepositoryFixtures

  describe "insert/2" do
    test "stores a new user" do
      table = UserRepository.new()
      assert {:ok, _} = UserRepository.insert(table, user_struct())
    end
  end

  describe "get/2" do
    test "returns {:error, :not_found} for an unknown id" do
      assert {:error, :not_found} = UserRepository.get(UserRepository.new(), "nope")
    end
  end
end
"""
FIXTURE_TEXT = """defmodule MyApp.Accounts.UserRepositoryFixtures do
  def user_struct(attrs \\\\ %{}) do
    n = System.unique_integer([:positive])
    struct!(MyApp.Accounts.User, Map.merge(%{id: "u#{n}", email: "u#{n}@x.io", name: "U"}, attrs))
  end
end
"""


def thought(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": text}


def generate_turns(*, thinking: bool = False) -> list[dict[str, Any]]:
    """The scripted model reads both designs, writes both files, then ends its turn; with
    ``thinking``, every reply opens with a thinking block (the first also a redacted one)."""
    turns: list[dict[str, Any]] = [
        {"content": [
            {"type": "text", "text": "I will read the designs first."},
            {"type": "tool_use", "name": "read_file", "input": {"path": DESIGN}},
            {"type": "tool_use", "name": "read_file", "input": {"path": PARENT_DESIGN}},
        ]},
        {"content": [
            {"type": "tool_use", "name": "write_file",
             "input": {"path": TEST_FILE, "content": TEST_TEXT}},
            {"type": "tool_use", "name": "write_file",
             "input": {"path": FIXTURE_FILE, "content": FIXTURE_TEXT}},
        ]},
        {"content": [{"type": "text", "text": "Wrote the tests and the fixtures."}]},
    ]  # fmt: skip
    if thinking:
        turns[0]["content"][:0] = [thought("The design lists insert/2 and get/2."),
                                   {"type": "redacted_thinking"}]  # fmt: skip
        turns[1]["content"][:0] = [thought("One describe per function, as listed.")]
        turns[2]["content"][:0] = [thought("Both files are written.")]
    return turns


def write_project(root: Path) -> None:
    files = {
        DESIGN: DESIGN_TEXT,
        PARENT_DESIGN: PARENT_TEXT,
        SOURCE: "defmodule MyApp.Accounts.UserRepository do\nend\n",
        "test/test_helper.exs": "ExUnit.start()\n",
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``build_app`` binds structlog to the current stderr (a capture that closes after the
    test): put the previous configuration back so later tests keep logging."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def workspace_root(tmp_path: Path) -> Path:
    root = tmp_path / "workspaces"
    root.mkdir()
    return root


@pytest.fixture
def command(workspace_root: Path) -> StepRequestedData:
    data = step_request(Step.GENERATE_TESTS_AND_FIXTURES)
    write_project(workspace_root / data.workspace)
    return data


@pytest.fixture
def workspace(workspace_root: Path, command: StepRequestedData) -> Path:
    return workspace_root / command.workspace


Scripted = Callable[..., RunningServer]


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    """Start a scripted server for the given conversations; stopped after the test."""
    with ExitStack() as stack:

        def start(*conversations: dict[str, Any]) -> RunningServer:
            return stack.enter_context(serve_in_thread(parse_script(list(conversations))))

        yield start


@pytest.fixture
def make_settings(
    stack: Endpoints, mongo_db: Any, workspace_root: Path
) -> Callable[..., AgentRunnerSettings]:
    def build(server: RunningServer, **overrides: Any) -> AgentRunnerSettings:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": stack.kafka_bootstrap_servers,
            "mongodb_uri": stack.mongodb_uri,
            "mongodb_database": mongo_db.name,
            "workspace_root": workspace_root,
            "anthropic_api_key": API_KEY,
            "anthropic_base_url": server.base_url,
            "anthropic_max_retries": 1,
            "claim_heartbeat_s": 0.5,
            "claim_lease_s": 5,
            "log_format": "console",
        }
        return AgentRunnerSettings(**(values | overrides))

    return build


@pytest.fixture
async def make_step(mongo_db: Any) -> AsyncIterator[Callable[[AgentRunnerSettings], AgentStep]]:
    """A real ``AgentStep`` (SDK, MongoDB claims and transcripts); clients closed after."""
    models: list[AnthropicModel] = []

    def build(settings: AgentRunnerSettings) -> AgentStep:
        model = AnthropicModel(settings)
        models.append(model)
        transcripts = MongoTranscripts(mongo_db, block_cap=settings.agent_transcript_tool_text_cap,
                                       total_cap=settings.agent_transcript_cap_bytes)  # fmt: skip
        return AgentStep(settings, model=model, claims=MongoClaims(mongo_db),
                         transcripts=transcripts)  # fmt: skip

    yield build
    for model in models:
        await model.aclose()
