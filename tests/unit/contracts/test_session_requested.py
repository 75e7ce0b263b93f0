"""SessionRequested: Phoenix path defaults, and bad input rejected with the field named."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cts_contracts import DeadLetter, Repository, SessionRequested, SessionRequestedData
from cts_contracts.naming import branch_name, session_id_for, underscore
from cts_runtime.decoding import TOO_DEEP, BadMessage, decode, describe_validation_error


def request(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "request_id": "r-1",
        "account_id": "acme",
        "project_id": "shop",
        "component": {"module_name": "MyApp.Accounts.UserRepository", "type": "repository"},
        "repository": {"url": "https://git.example/acme/shop.git"},
    }
    raw.update(overrides)
    return raw


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        SessionRequestedData.model_validate(raw)
    return str(caught.value)


def test_paths_default_from_the_module_name() -> None:
    component = SessionRequestedData.model_validate(request()).component
    assert component.name == "UserRepository"
    assert component.source_file == "lib/my_app/accounts/user_repository.ex"
    assert component.test_file == "test/my_app/accounts/user_repository_test.exs"
    assert component.design_file == "docs/design/my_app/accounts/user_repository.md"
    assert component.parent_design_file == "docs/design/my_app/accounts.md"
    assert component.fixture_file == "test/support/fixtures/accounts/user_repository_fixtures.ex"
    assert component.fixture_module == "MyApp.Accounts.UserRepositoryFixtures"


def test_given_paths_win_over_defaults() -> None:
    raw = request(component={"module_name": "MyApp.Accounts", "type": "context",
                             "test_file": "test/custom_test.exs"})  # fmt: skip
    component = SessionRequestedData.model_validate(raw).component
    assert component.test_file == "test/custom_test.exs"
    assert component.parent_design_file == "docs/design/my_app.md"


@pytest.mark.parametrize(
    ("alias", "snake"),
    [("UserRepository", "user_repository"), ("MyApp", "my_app"), ("HTTPClient", "http_client"),
     ("OAuth2Token", "o_auth2_token"), ("Accounts", "accounts")],
)  # fmt: skip
def test_underscore_follows_elixir(alias: str, snake: str) -> None:
    assert underscore(alias) == snake


def test_branch_names_are_sanitized() -> None:
    assert branch_name("MyApp.Accounts.UserRepository") == (
        "component-test-session-for-myapp-accounts-userrepository"
    )
    assert branch_name("--Weird  Name!!__x--") == "component-test-session-for-weird-name-__x"
    assert branch_name("???") == "component-test-session-for-component"


def test_the_session_id_is_a_pure_function_of_the_idempotency_key() -> None:
    a = SessionRequestedData.model_validate(request())
    assert a.session_id == session_id_for("acme", "shop", "r-1")
    assert a.session_id != session_id_for("other", "shop", "r-1")


def test_missing_field_is_named() -> None:
    raw = request()
    del raw["repository"]
    assert "repository\n  Field required" in error_of(raw)


def test_bad_enum_is_named() -> None:
    message = error_of(request(options={"expect": "purple"}))
    assert "options.expect" in message
    assert "'red', 'green', 'none' or 'auto'" in message


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../../etc/passwd", "must not contain '..'"),
        ("/etc/passwd", "absolute"),
        ("test/a\x00.exs", "NUL byte"),
        ("test\\a.exs", "'/' separators"),
        ("C:/x.exs", "absolute"),
        ("test//a.exs", "empty or '.' segments"),
        ("~/a_test.exs", "not a home"),
        ("~root/a_test.exs", "not a home"),
        (".git/hooks/pre-commit", "inside .git/"),
        ("test/.git/config", "inside .git/"),
        ("test/a\n_test.exs", "control characters"),
        ("test/a\x1b[31m_test.exs", "control characters"),
        ("test/a\x7f.exs", "control characters"),
    ],
)
def test_unsafe_paths_are_rejected_with_the_reason(path: str, why: str) -> None:
    raw = request(component={"module_name": "MyApp.A", "type": "repository", "test_file": path})
    message = error_of(raw)
    assert "component.test_file" in message
    assert why in message


@pytest.mark.parametrize(
    "field", ["source_file", "design_file", "parent_design_file", "fixture_file"]
)
def test_every_component_path_follows_the_jails_rules_naming_its_field(field: str) -> None:
    raw = request(component={"module_name": "MyApp.A", "type": "repository", field: ".git/x"})
    assert f"component.{field}" in error_of(raw)
    similar = {"module_name": "MyApp.B", "design_file": "~/b.md"}
    raw = request(
        component={"module_name": "MyApp.A", "type": "x", "similar_components": [similar]}
    )
    assert "component.similar_components.0.design_file" in error_of(raw)


def test_paths_the_jail_accepts_are_accepted() -> None:
    raw = request(component={"module_name": "MyApp.A", "type": "repository",
                             "test_file": "test/.gitkeep.d/a~b_test.exs"})  # fmt: skip
    assert SessionRequestedData.model_validate(raw).component.test_file.endswith("a~b_test.exs")


def test_oversized_strings_are_rejected() -> None:
    message = error_of(request(component={"module_name": "MyApp.A", "type": "repository",
                                          "description": "x" * 5000}))  # fmt: skip
    assert "component.description" in message
    assert "at most 4000 characters" in message


@pytest.mark.parametrize(
    "url", ["-uploadpack=touch /tmp/pwned", "ext::sh -c touch% /tmp/pwned", "https://x/\nrepo"]
)
def test_dangerous_repository_urls_are_rejected(url: str) -> None:
    assert "repository" in error_of(request(repository={"url": url}))


@pytest.mark.parametrize("account", ["Acme", "../acme", "", "a" * 64, "acme/shop"])
def test_tenant_ids_are_strict(account: str) -> None:
    assert "account_id" in error_of(request(account_id=account))


def test_unknown_fields_and_versions_are_refused() -> None:
    assert "Extra inputs are not permitted" in error_of(request(surprise=1))
    assert "schema_version" in error_of(request(schema_version=2))


def test_label_keys_cannot_hold_dots_or_dollars() -> None:
    assert "options.labels" in error_of(request(options={"labels": {"a.b": "x"}}))


def test_decode_names_the_problem_without_echoing_input() -> None:
    with pytest.raises(BadMessage) as caught:
        decode(SessionRequested, b'{"source": "x", "data": {"account_id": "SECRET-VALUE"}}')
    assert caught.value.reason.startswith(
        "schema-invalid SessionRequested: data.account_id: String should match pattern"
    )
    assert "data.project_id: Field required" in caught.value.reason
    assert "SECRET-VALUE" not in caught.value.reason
    with pytest.raises(BadMessage, match="not valid JSON"):
        decode(SessionRequested, b"\xff\xfe")
    with pytest.raises(BadMessage, match="empty message"):
        decode(SessionRequested, b"")


@pytest.mark.parametrize(
    "body",
    [b"[" * 200_000 + b"]" * 200_000, b'{"data": ' + b'{"a": ' * 300 + b"1" + b"}" * 301],
)
def test_deeply_nested_json_is_refused_as_too_deep_not_as_invalid(body: bytes) -> None:
    with pytest.raises(BadMessage) as caught:
        decode(SessionRequested, body)
    assert caught.value.reason == TOO_DEEP


@pytest.mark.parametrize(
    "url",
    [
        "https://bob:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop.git",
        "https://x-access-token@git.example.com/acme/shop.git",
        "https://user:pass@git.example.com/acme/shop.git",
        "ssh://git:secret@git.example.com/acme/shop.git",
        "HTTPS://token@git.example.com/acme/shop.git",
    ],
)
def test_a_repository_url_with_credentials_is_refused_pointing_to_the_token_settings(
    url: str,
) -> None:
    with pytest.raises(ValidationError) as error:
        Repository(url=url)
    reason = describe_validation_error(error.value)
    assert "must not carry credentials" in reason
    assert "CTS_GIT_HTTPS_TOKEN" in reason
    assert "CTS_GIT_TENANTS_FILE" in reason
    secret = url.split("://", 1)[1].split("@", 1)[0]
    assert secret not in reason


@pytest.mark.parametrize(
    "url",
    [
        "ssh://git@git.example.com/acme/shop.git",
        "git@github.com:acme/shop.git",
        "https://git.example.com/acme/shop.git?ref=a@b",
        "file:///srv/git/shop.git",
    ],
)
def test_an_ssh_user_name_alone_is_no_credential(url: str) -> None:
    assert Repository(url=url).url == url


def test_a_dead_letter_masks_user_info_and_token_shaped_strings() -> None:
    token = "ghp_" + "a1B2" * 9
    payload = (
        '{"repository": {"url": "https://bob:hunter22@git.example.com/x.git"}, '
        f'"note": "Authorization: Bearer abcdefghijklmnopqrstuv {token} sk-ant-api03-xyzxyzxyz"}}'
    ).encode()
    letter = DeadLetter.of(
        payload=payload, topic="t", reason=f"failed with {token}", consumer="orchestrator"
    )
    for secret in ("hunter22", "bob:", token, "abcdefghijklmnopqrstuv", "sk-ant-api03"):
        assert secret not in letter.payload_excerpt
        assert secret not in letter.reason
    assert "https://***@git.example.com/x.git" in letter.payload_excerpt
    assert letter.payload_size == len(payload)
