"""The scrubbed environment generated tests run in: they are untrusted code.

Only what a build needs crosses over (PATH, HOME, locale, ``MIX_*``, ``ERL_*``) plus names the
operator allows explicitly; API keys, Kafka and MongoDB credentials never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PASSED_NAMES = frozenset({"PATH", "HOME", "LANG", "LC_ALL"})
PASSED_PREFIXES = ("MIX_", "ERL_")


def scrubbed_environment(
    source: Mapping[str, str], *, allow: Iterable[str] = (), extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``source`` filtered to the safe names, then ``extra`` (the runner's own variables)."""
    allowed = PASSED_NAMES | frozenset(allow)
    env = {
        name: value
        for name, value in source.items()
        if name in allowed or name.startswith(PASSED_PREFIXES)
    }
    env.setdefault("LANG", "C.UTF-8")
    env.update(extra or {})
    return env
