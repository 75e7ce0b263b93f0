"""Take credentials out of any text before it is logged, published or raised.

Two nets: every known secret value (the configured token, a URL's password) is replaced
wherever it appears, in plain and percent-encoded form; and any ``scheme://userinfo@`` is
masked even when the value was never seen (and so is anything token-shaped), so an unexpected
echo of a URL cannot leak either.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from cts_contracts.credentials import MASK, redact_credentials

MIN_SECRET = 4
"""Shorter values are not searched for in free text (masking every "ab" would garble all
messages and a 3-character secret is no secret); URL userinfo is masked whatever its length."""


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if len(secret) >= MIN_SECRET:
                variants |= {secret, quote(secret, safe=""), quote(secret)}
        # Longest first, so a secret containing another is masked whole.
        self._secrets = tuple(sorted(variants, key=len, reverse=True))

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        return Redactor((*self._secrets, *secrets))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return redact_credentials(text)
