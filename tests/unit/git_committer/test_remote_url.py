"""The URL policy: what git may be given, and credentials taken out of the URL."""

from __future__ import annotations

import pytest

from cts_git_committer.remote_url import UrlRejected, credentials_in, parse_remote_url


@pytest.mark.parametrize(
    ("raw", "scheme", "url", "host"),
    [
        ("https://github.com/acme/shop.git", "https", "https://github.com/acme/shop.git",
         "github.com"),
        ("HTTPS://GitHub.com:8443/acme/shop.git", "https", "https://GitHub.com:8443/acme/shop.git",
         "github.com:8443"),
        ("ssh://git@github.com/acme/shop.git", "ssh", "ssh://git@github.com/acme/shop.git",
         "github.com"),
        ("git@github.com:acme/shop.git", "ssh", "git@github.com:acme/shop.git", "github.com"),
        ("github.com:acme/shop.git", "ssh", "github.com:acme/shop.git", "github.com"),
    ],
)  # fmt: skip
def test_accepted_urls(raw: str, scheme: str, url: str, host: str) -> None:
    parsed = parse_remote_url(raw, allow_file=False)
    assert (parsed.scheme, parsed.url, parsed.host) == (scheme, url, host)
    assert parsed.secrets == ()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("-uploadpack=touch /tmp/x", "spaces"),
        ("--upload-pack=id", "must not start with '-'"),
        ("ext::sh -c id", "spaces"),
        ("ext::sh", "remote helper"),
        ("fd::3", "remote helper"),
        ("transport::https://example.com/x", "remote helper"),
        ("http://example.com/x.git", "'http' is not allowed"),
        ("git://example.com/x.git", "'git' is not allowed"),
        ("file:///srv/x.git", "'file' is not allowed (allowed: https, ssh)"),
        ("gopher://example.com/x", "'gopher' is not allowed"),
        ("/srv/x.git", "local paths are not accepted"),
        ("x.git", "local paths are not accepted"),
        ("./x:y", "local paths are not accepted"),
        ("https://-evil/x.git", "no usable host"),
        ("https:///x.git", "no usable host"),
        ("https://example.com:99999/x.git", "malformed"),
        ("https://example.com/x.git#main", "fragment"),
        ("ssh://-oProxyCommand=id/x", "no usable host"),
        ("ssh://user:pw@example.com/x", "must not carry a password"),
        ("ssh://-user@example.com/x", "must not start with '-'"),
        ("-oProxyCommand=id:x", "must not start with '-'"),
        ("host:", "no repository path"),
        ("https://example.com/x\n.git", "control characters"),
        ("https://example.com/x\x00.git", "control characters"),
    ],
)
def test_rejected_urls(raw: str, reason: str) -> None:
    with pytest.raises(UrlRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_remote_url(raw, allow_file=False)


def test_file_urls_only_when_allowed() -> None:
    parsed = parse_remote_url("file:///srv/repos/shop.git", allow_file=True)
    assert (parsed.scheme, parsed.url) == ("file", "file:///srv/repos/shop.git")
    with pytest.raises(UrlRejected, match="file:///absolute/path"):
        parse_remote_url("file://otherhost/srv/shop.git", allow_file=True)
    with pytest.raises(UrlRejected, match="local paths"):
        parse_remote_url("/srv/repos/shop.git", allow_file=True)


def test_https_credentials_are_taken_out_of_the_url() -> None:
    parsed = parse_remote_url("https://alice:p%40ss%2Fword@example.com/x.git", allow_file=False)
    assert parsed.url == "https://example.com/x.git"
    assert (parsed.username, parsed.password) == ("alice", "p@ss/word")
    assert set(parsed.secrets) == {"p@ss/word", "alice"}
    assert "p@ss" not in repr(parsed)


def test_a_token_used_as_username_is_a_secret() -> None:
    parsed = parse_remote_url("https://ghp_abcdef123456@github.com/x.git", allow_file=False)
    assert parsed.url == "https://github.com/x.git"
    assert parsed.secrets == ("ghp_abcdef123456",)


def test_mirror_key_ignores_credentials() -> None:
    plain = parse_remote_url("https://example.com/x.git", allow_file=False)
    with_token = parse_remote_url("https://t0ken@example.com/x.git", allow_file=False)
    other = parse_remote_url("https://example.com/y.git", allow_file=False)
    assert plain.key == with_token.key != other.key


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("https://u:p4ssword@h/x", ("p4ssword", "u")),
        ("http://tok3n@h/x", ("tok3n",)),
        ("ssh://git:pw12@h/x", ("pw12",)),
        ("ssh://git@h/x", ()),
        ("git@h:x", ()),
        ("no url at all", ()),
    ],
)
def test_credentials_in_any_url_for_redaction(raw: str, found: tuple[str, ...]) -> None:
    assert credentials_in(raw) == found
