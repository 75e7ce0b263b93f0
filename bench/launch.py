"""``python -m bench.launch <module>``: run a service with the benchmark's optional hooks,
applied before the service imports anything, so its code stays untouched:

- ``BENCH_DB_MONITOR_OUT=<file>``: a PyMongo command listener; at exit the file gets, per
  command, how many, how long (round trip, server included) and how many writes matched
  nothing (a lost compare-and-set); and, under ``write_behind``, how many session documents
  each ``WriteBehind.flush`` found pending (the largest, and how many flushes held 100 or
  more: one bulk write of 100 hung FerretDB v1 before bulks were capped at 50).
- ``BENCH_CONSUMER_OPTIONS=<json>``: merged into ``cts_runtime.broker.consumer_options`` (to
  measure e.g. ``fetch_max_wait_ms`` before proposing it).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from pymongo import monitoring


class Tally(monitoring.CommandListener):
    """Per command and collection (``insert agent_claims``)."""

    def __init__(self) -> None:
        self.micros: defaultdict[str, list[int]] = defaultdict(list)
        self.unmatched: defaultdict[str, int] = defaultdict(int)
        self.errors: defaultdict[str, int] = defaultdict(int)
        self._names: dict[int, str] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        name = f"{event.command_name} {target}" if isinstance(target, str) else event.command_name
        self._names[event.request_id] = name

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        name = self._names.pop(event.request_id, event.command_name)
        self.micros[name].append(event.duration_micros)
        reply: dict[str, Any] = dict(event.reply)
        if event.command_name in ("update", "findAndModify") and not reply.get(
            "n", reply.get("lastErrorObject", {}).get("n", 1)
        ):
            self.unmatched[name] += 1

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.errors[self._names.pop(event.request_id, event.command_name)] += 1

    def summary(self) -> dict[str, Any]:
        out = {}
        for name, values in sorted(self.micros.items()):
            ordered = sorted(values)
            out[name] = {
                "count": len(values),
                "total_ms": round(sum(values) / 1000, 1),
                "p50_ms": round(ordered[len(ordered) // 2] / 1000, 2),
                "unmatched": self.unmatched.get(name, 0),
                "failed": self.errors.get(name, 0),
            }
        return out


class FlushSizes:
    """How many documents each write-behind flush found pending."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def install(self) -> None:
        from cts_store import WriteBehind  # noqa: PLC0415 - patched before the service runs

        original, sizes = WriteBehind.flush, self.sizes

        async def flush(documents: WriteBehind) -> int:
            if documents.pending:
                sizes.append(documents.pending)
            return await original(documents)

        WriteBehind.flush = flush  # type: ignore[method-assign,assignment]

    def summary(self) -> dict[str, int]:
        return {"flushes": len(self.sizes), "largest": max(self.sizes, default=0),
                "at_least_100": sum(1 for size in self.sizes if size >= 100)}  # fmt: skip


def _patch_consumer_options(extra: dict[str, Any]) -> None:
    from cts_runtime import broker  # noqa: PLC0415 - patched before the service imports it

    original = broker.consumer_options

    def patched(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return original(*args, **kwargs) | extra

    broker.consumer_options = patched


def main() -> None:
    module = sys.argv[1]
    if out := os.environ.get("BENCH_DB_MONITOR_OUT"):
        tally, flushes = Tally(), FlushSizes()
        monitoring.register(tally)
        flushes.install()
        target = Path(out)
        atexit.register(lambda: target.write_text(json.dumps(
            {**tally.summary(), "write_behind": flushes.summary()}, indent=2) + "\n"))  # fmt: skip
    if options := os.environ.get("BENCH_CONSUMER_OPTIONS"):
        _patch_consumer_options(json.loads(options))
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
