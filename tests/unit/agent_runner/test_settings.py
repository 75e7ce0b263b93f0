"""Settings: the key from ANTHROPIC_API_KEY and never shown, the base URL, sane claim timing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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


def test_defaults_use_the_real_api_and_a_current_sonnet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CTS_ANTHROPIC_BASE_URL", raising=False)
    settings = AgentRunnerSettings()
    assert (settings.anthropic_base_url, settings.anthropic_api_key) == (None, None)
    assert settings.agent_model == DEFAULT_MODEL
    assert DEFAULT_MODEL.startswith("claude-sonnet-")
    assert (settings.claim_lease_s, settings.claim_heartbeat_s) == (60, 15)


def test_prices_are_configurable_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CTS_AGENT_PRICES",
        '{"default": {"input": 1, "output": 2, "cache_read": 0.1, "cache_write": 1.25}}',
    )
    assert AgentRunnerSettings().agent_prices["default"].output == 2


def test_the_heartbeat_must_be_shorter_than_the_lease() -> None:
    with pytest.raises(ValidationError, match="shorter than claim_lease_s"):
        AgentRunnerSettings(claim_lease_s=10, claim_heartbeat_s=10)
