"""``python -m bench.db_monitor <module>``: run a service with a PyMongo command listener and
write, at exit, what it asked the database: per command, how many, how long (round trip,
server included), and how many writes matched nothing (a lost compare-and-set).

The listener is registered before the service creates its client, so nothing in the service
changes. Output: ``$BENCH_DB_MONITOR_OUT`` (JSON).
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
    def __init__(self) -> None:
        self.micros: defaultdict[str, list[int]] = defaultdict(list)
        self.unmatched: defaultdict[str, int] = defaultdict(int)
        self.errors: defaultdict[str, int] = defaultdict(int)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.micros[event.command_name].append(event.duration_micros)
        reply: dict[str, Any] = dict(event.reply)
        if event.command_name in ("update", "findAndModify") and not reply.get(
            "n", reply.get("lastErrorObject", {}).get("n", 1)
        ):
            self.unmatched[event.command_name] += 1

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.errors[event.command_name] += 1

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


def main() -> None:
    module = sys.argv[1]
    tally = Tally()
    monitoring.register(tally)
    target = Path(os.environ["BENCH_DB_MONITOR_OUT"])
    atexit.register(lambda: target.write_text(json.dumps(tally.summary(), indent=2) + "\n"))
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
