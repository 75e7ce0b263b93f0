"""A process whose wall clock is off, as on a host with a misconfigured clock: libfaketime
(Debian ``libfaketime``, installed by ``deploy/local/prereqs.sh``) preloaded into it. Its
monotonic clock is left alone, as a wrong wall clock leaves it."""

from __future__ import annotations

from pathlib import Path

LIBRARY_GLOB = "/usr/lib/*/faketime/libfaketime.so.1"


def skewed_clock_env(offset: str) -> dict[str, str]:
    """Environment for a child process whose wall clock is ``offset`` off (``"-10s"``)."""
    found = sorted(Path("/").glob(LIBRARY_GLOB.lstrip("/")))
    if not found:
        raise RuntimeError("libfaketime is not installed (run deploy/local/prereqs.sh)")
    return {"LD_PRELOAD": str(found[0]), "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
