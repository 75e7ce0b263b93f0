"""The tenants map: which repositories an account/project may use, and the credential git
gets for them (none but the matching entry's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_git_committer.failures import StepFailure
from cts_git_committer.remote_url import parse_remote_url
from cts_git_committer.tenants import Tenants

MAP = {
    "tenants": [
        {"account": "acme", "project": "shop", "repositories": ["https://git.example.com/acme/*"],
         "credential": {"token": "acme-shop-token"}},
        {"account": "acme", "project": "*", "repositories": ["https://git.example.com/acme/libs/**",
                                                             "ssh://git@git.example.com/acme/*.git"]},
        {"account": "rival", "repositories": ["https://git.example.com/rival/*"],
         "credential": {"username": "bot", "token": "rival-token"}},
    ]
}  # fmt: skip


def _resolve(account: str, project: str, url: str) -> tuple[str, str | None, str | None]:
    resolved = Tenants.model_validate(MAP).resolve(
        account, project, parse_remote_url(url, allow_file=False)
    )
    return resolved.url, resolved.username, resolved.password


def test_a_tenant_gets_its_repositories_with_its_own_credential() -> None:
    url = "https://git.example.com/acme/shop.git"
    assert _resolve("acme", "shop", url) == (url, "x-access-token", "acme-shop-token")
    rival = "https://git.example.com/rival/app.git"
    assert _resolve("rival", "any", rival) == (rival, "bot", "rival-token")


def test_star_stays_in_one_segment_and_double_star_crosses_them() -> None:
    deep = "https://git.example.com/acme/libs/a/b.git"
    assert _resolve("acme", "other", deep)[0] == deep  # the account-wide entry, no credential
    assert _resolve("acme", "other", deep)[2] is None
    with pytest.raises(StepFailure, match="is not among the repositories configured"):
        _resolve("acme", "other", "https://git.example.com/acme/shop.git")  # shop's alone
    with pytest.raises(StepFailure, match="is not among"):
        _resolve("acme", "shop", "https://git.example.com/acme/x/y.git")  # * is one segment


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/rival/app.git",  # another tenant's
        "https://git.example.com/acme/../rival/app.git",  # climbing out of the pattern
        "https://evil.example.com/acme/shop.git",  # another host
        "https://git.example.com/acme/shop.git.evil/x",
    ],
)
def test_anything_else_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(StepFailure) as refused:
        _resolve("acme", "shop", url)
    assert refused.value.summary == "repository not allowed"
    assert "acme/shop (CTS_GIT_TENANTS_FILE)" in refused.value.message
    assert "token" not in refused.value.message


def test_a_project_without_an_entry_is_told_to_ask_the_operator() -> None:
    with pytest.raises(StepFailure, match="no repositories are configured for nobody/shop"):
        _resolve("nobody", "shop", "https://git.example.com/acme/shop.git")


def test_ssh_keeps_its_user_and_gets_no_token() -> None:
    url = "ssh://git@git.example.com/acme/tools.git"
    assert _resolve("acme", "shop", url) == (url, "git", None)


def test_a_token_file_is_read_at_use_and_a_missing_one_fails_safely(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("from-file\n")
    tenants = Tenants.model_validate({"tenants": [{
        "account": "a", "repositories": ["https://h.example/a/*"],
        "credential": {"token_file": str(token)},
    }]})  # fmt: skip
    url = parse_remote_url("https://h.example/a/r.git", allow_file=False)
    assert tenants.resolve("a", "p", url).password == "from-file"
    token.unlink()
    with pytest.raises(StepFailure, match="token_file cannot be read"):
        tenants.resolve("a", "p", url)


def test_a_credential_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one of token and token_file"):
        Tenants.model_validate({"tenants": [{
            "account": "a", "repositories": ["x"], "credential": {"username": "u"},
        }]})  # fmt: skip
