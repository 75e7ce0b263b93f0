"""Fixtures: a session workspace holding a small project, a Generate command, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_agent_runner.settings import AgentRunnerSettings
from cts_contracts import Step
from cts_contracts.step_requested import StepRequestedData
from cts_testing.factories import step_request

from .fakes import write_project


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
def settings(workspace_root: Path) -> AgentRunnerSettings:
    return AgentRunnerSettings(
        workspace_root=workspace_root,
        anthropic_api_key=None,
        anthropic_base_url=None,
        claim_heartbeat_s=0.05,
    )
