"""Redaction: known secrets in any form, and any URL userinfo even when never seen."""

from __future__ import annotations

from cts_contracts.credentials import MASK
from cts_git_committer.redaction import Redactor


def test_known_secrets_are_masked_plain_and_percent_encoded() -> None:
    redact = Redactor(["p@ss/word!"])
    text = "p@ss/word! and p%40ss%2Fword%21 and p%40ss/word%21"
    assert redact(text) == f"{MASK} and {MASK} and {MASK}"


def test_url_userinfo_is_masked_without_knowing_it() -> None:
    redact = Redactor()
    text = "fatal: unable to access 'https://bob:hunter22@git.example.com/x.git/': 403"
    assert redact(text) == f"fatal: unable to access 'https://{MASK}@git.example.com/x.git/': 403"
    assert redact("see ssh://git@host/x") == f"see ssh://{MASK}@host/x"


def test_longer_secrets_first_and_short_values_left_to_the_url_net() -> None:
    redact = Redactor(["abc", "token-123", "token-123-long"])
    assert redact("token-123-long token-123 abc") == f"{MASK} {MASK} abc"


def test_with_secrets_adds_to_the_known_ones() -> None:
    redact = Redactor(["first-secret"]).with_secrets(["second-secret"])
    assert redact("first-secret second-secret") == f"{MASK} {MASK}"


def test_text_without_secrets_is_unchanged() -> None:
    text = "fatal: repository 'https://example.com/x.git/' not found"
    assert Redactor(["s3cr3t-value"])(text) == text
