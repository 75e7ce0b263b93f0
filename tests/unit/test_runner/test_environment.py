"""The scrubbed environment: only what a build needs, plus what the operator allows."""

from __future__ import annotations

from cts_test_runner.environment import scrubbed_environment

RUNNER_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/cts",
    "LANG": "en_US.UTF-8",
    "LC_ALL": "en_US.UTF-8",
    "MIX_HOME": "/home/cts/.mix",
    "ERL_AFLAGS": "+S 1",
    "ANTHROPIC_API_KEY": "sk-ant-secret",
    "CTS_MONGODB_URI": "mongodb://u:secret@db/",
    "CTS_KAFKA_SASL_PASSWORD": "secret",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "DATABASE_URL": "postgres://u:secret@db/app",
    "MIXED_UP": "not a MIX_ variable",
}


def test_only_build_variables_cross_over() -> None:
    env = scrubbed_environment(RUNNER_ENV)

    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/cts",
        "LANG": "en_US.UTF-8",
        "LC_ALL": "en_US.UTF-8",
        "MIX_HOME": "/home/cts/.mix",
        "ERL_AFLAGS": "+S 1",
    }


def test_the_allow_list_adds_named_variables_only() -> None:
    env = scrubbed_environment(RUNNER_ENV, allow=["DATABASE_URL", "NOT_SET"])

    assert env["DATABASE_URL"] == "postgres://u:secret@db/app"
    assert "NOT_SET" not in env
    assert "ANTHROPIC_API_KEY" not in env


def test_the_runner_adds_its_own_variables_and_a_default_locale() -> None:
    env = scrubbed_environment({"PATH": "/bin"}, extra={"MIX_ENV": "test"})

    assert env == {"PATH": "/bin", "LANG": "C.UTF-8", "MIX_ENV": "test"}
