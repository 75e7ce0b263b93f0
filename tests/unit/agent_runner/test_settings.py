"""Settings: the key from ANTHROPIC_API_KEY and never shown, the base URL, sane claim timing,
thinking and output sized for a whole file, prices merged over the list prices."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cts_agent_runner.pricing import LIST_PRICES
from cts_agent_runner.settings import DEFAULT_MODEL, AgentRunnerSettings


def test_the_key_comes_from_the_usual_variable_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-SETTINGS-SECRET-123456")
    monkeypatch.setenv("CTS_ANTHROPIC_BASE_URL", "http://127.0.0.1:8089")
    settings = AgentRunnerSettings()
    assert settings.anthropic_api_key is not None
    assert settings.anthropic_api_key.get_secret_value() == "sk-ant-api03-SETTINGS-SECRET-123456"
    assert settings.anthropic_base_url == "http://127.0.0.1:8089"
    assert "SETTINGS-SECRET" not in repr(settings)
    assert "SETTINGS-SECRET" not in settings.model_dump_json()


def test_defaults_use_the_real_api_a_current_sonnet_and_think(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CTS_ANTHROPIC_BASE_URL", raising=False)
    settings = AgentRunnerSettings()
    assert (settings.anthropic_base_url, settings.anthropic_api_key) == (None, None)
    assert settings.agent_model == DEFAULT_MODEL
    assert DEFAULT_MODEL in LIST_PRICES
    assert (settings.claim_lease_s, settings.claim_heartbeat_s) == (60, 15)
    assert settings.anthropic_max_retries == 1
    assert settings.thinking_param() == {"type": "adaptive"}
    assert settings.output_config() is None
    assert settings.agent_max_output_tokens >= 64_000


def test_thinking_budget_and_effort(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_AGENT_THINKING", "budget")
    monkeypatch.setenv("CTS_AGENT_THINKING_BUDGET_TOKENS", "20000")
    monkeypatch.setenv("CTS_AGENT_EFFORT", "high")
    settings = AgentRunnerSettings()
    assert settings.thinking_param() == {"type": "enabled", "budget_tokens": 20_000}
    assert settings.output_config() == {"effort": "high"}
    assert AgentRunnerSettings(agent_thinking="off").thinking_param() == {"type": "disabled"}
    with pytest.raises(ValidationError, match="room for a whole file"):
        AgentRunnerSettings(agent_thinking="budget", agent_thinking_budget_tokens=60_000)


def test_more_than_one_sdk_retry_is_refused() -> None:
    with pytest.raises(ValidationError):
        AgentRunnerSettings(anthropic_max_retries=2)


def test_prices_given_as_json_are_merged_over_the_list_prices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "CTS_AGENT_PRICES",
        '{"my-model": {"input": 1, "output": 2, "cache_read": 0.1, "cache_write": 1.25, '
        '"cache_write_1h": 2}}',
    )
    prices = AgentRunnerSettings().agent_prices
    assert prices["my-model"].output == 2
    assert prices["claude-sonnet-5-5"] == LIST_PRICES["claude-sonnet-5-5"]


def test_the_heartbeat_must_be_shorter_than_the_lease() -> None:
    with pytest.raises(ValidationError, match="shorter than claim_lease_s"):
        AgentRunnerSettings(claim_lease_s=10, claim_heartbeat_s=10)
