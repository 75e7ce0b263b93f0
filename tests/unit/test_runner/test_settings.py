"""Settings come from CTS_ variables with safe defaults."""

from __future__ import annotations

import pytest

from cts_test_runner.settings import TestRunnerSettings


def test_defaults_match_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CTS_TEST_TIMEOUT_S",
        "CTS_TEST_OUTPUT_CAP_BYTES",
        "CTS_TEST_CONCURRENCY",
        "CTS_TEST_ENV_ALLOW",
        "CTS_ALIGNMENT_THRESHOLD",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = TestRunnerSettings()

    assert settings.service_name == "test-runner"
    assert settings.test_timeout_s == 600
    assert settings.test_output_cap_bytes == 2 * 1024 * 1024
    assert settings.test_concurrency == 1
    assert settings.test_env_allow == []
    assert settings.alignment_threshold == 0.9
    assert settings.test_warnings_as_errors is True
    assert settings.test_build_cache is True


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_TEST_TIMEOUT_S", "20")
    monkeypatch.setenv("CTS_TEST_ENV_ALLOW", "DATABASE_URL, MY_FLAG,,")
    monkeypatch.setenv("CTS_TEST_CONCURRENCY", "3")
    monkeypatch.setenv("CTS_ALIGNMENT_THRESHOLD", "0.75")

    settings = TestRunnerSettings()

    assert settings.test_timeout_s == 20
    assert settings.test_env_allow == ["DATABASE_URL", "MY_FLAG"]
    assert settings.test_concurrency == 3
    assert settings.alignment_threshold == 0.75
