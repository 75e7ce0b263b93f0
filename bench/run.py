"""``python -m bench.run``: run B1-B6 against the real local stack, print the
table, write ``bench-results/<run id>.{json,md}`` (and ``latest.*``).

Every run has its own topics, databases and consumer groups and removes them at the end; every
process it starts is stopped by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    b1_latency,
    b2_throughput,
    b3_growth,
    b4_sessions,
    b5_run_tests,
    b6_real_app,
    report,
)
from bench.context import RunContext
from bench.machine import Snapshot, busy_percent, describe
from bench.processes import REPO_ROOT
from cts_testing.stack import Endpoints, PrivateStack, local_stack


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--only", default="b1,b2,b3,b4,b5,b6", help="comma-separated: b1,b2,b3,b4,b5,b6"
    )
    parser.add_argument("--transitions", type=int, default=2000, help="B1 transitions per system")
    parser.add_argument("--sizes", type=_ints, default=(1, 10, 100, 1000), help="B2 N values")
    parser.add_argument("--replicas", type=_ints, default=(1, 2), help="B2 replica counts")
    parser.add_argument("--cap", type=float, default=30, help="B2: longest wait for one burst (s)")
    parser.add_argument(
        "--b2-min-sessions", type=int, default=100, help="B2: fewest sessions in one run"
    )
    parser.add_argument(
        "--b2-repeats", type=int, default=3, help="B2: runs of every system per N (median kept)"
    )
    parser.add_argument("--b3-sessions", type=int, default=20, help="B3 sessions per group")
    parser.add_argument("--b4-sizes", type=_ints, default=(1, 10, 100), help="B4 N values")
    parser.add_argument("--b4-delay", type=float, default=3.0, help="B4: seconds per model turn")
    parser.add_argument("--b5-repetitions", type=int, default=7, help="B5 warm runs per way")
    parser.add_argument("--b6-repetitions", type=int, default=7, help="B6 warm runs per way")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results")
    parser.add_argument(
        "--auth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="B1 and B2 also run CTS and the floor on a second, private broker that requires "
        "SASL/SCRAM and enforces the ACLs (cts-auth, floor-auth)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="pyinstrument",
        choices=["pyinstrument", "cprofile", "db"],
        help="run every orchestrator under a profiler: pyinstrument (the default; needs "
        "uv run --with pyinstrument ...), cprofile, or db (counts and times its MongoDB "
        "commands)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=TREE",
        help="B1 and B2 (one replica) also run this orchestrator side by side: another source "
        "tree (e.g. an older commit from git archive), or 'current' (repeatable)",
    )
    parser.add_argument(
        "--variant-env",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE",
        help="an environment variable for one variant's orchestrators, e.g. "
        "'fast:BENCH_CONSUMER_OPTIONS={\"fetch_max_wait_ms\": 10}' (repeatable)",
    )
    parser.add_argument(
        "--orchestrator-env",
        action="append",
        default=[],
        metavar="CTS_NAME=VALUE",
        help="extra orchestrator setting, e.g. to try an option (repeatable)",
    )
    parser.add_argument(
        "--b4-env",
        action="append",
        default=[],
        metavar="CTS_NAME=VALUE",
        help="extra setting for every B4 service (repeatable)",
    )
    return parser.parse_args(argv)


async def run(
    args: argparse.Namespace, bootstrap: str, mongodb_uri: str, auth: Endpoints | None = None
) -> dict[str, Any]:
    run_id = f"bench{datetime.now(UTC):%m%d%H%M%S}{secrets.token_hex(2)}"
    out_dir = args.out / run_id
    extra = dict(item.split("=", 1) for item in args.orchestrator_env)
    variants = {
        name: None if tree == "current" else Path(tree)
        for name, tree in (v.split("=", 1) for v in args.variant)
    }
    variant_env: dict[str, dict[str, str]] = {}
    for item in args.variant_env:
        name, assignment = item.split(":", 1)
        key, value = assignment.split("=", 1)
        variant_env.setdefault(name, {})[key] = value
    ctx = RunContext(
        bootstrap,
        mongodb_uri,
        run_id,
        out_dir,
        orchestrator_env=extra,
        profile_dir=out_dir / "profiles" if args.profile else None,
        profiler=args.profile or "",
        variants=variants,
        variant_env=variant_env,
        auth=auth,
        b4_env=dict(item.split("=", 1) for item in args.b4_env),
    )
    if ctx.profile_dir:
        ctx.profile_dir.mkdir(parents=True, exist_ok=True)
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    results: dict[str, Any] = {
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe(),
        "settings": {
            "transitions": args.transitions,
            "sizes": list(args.sizes),
            "replicas": list(args.replicas),
            "b2_repeats": args.b2_repeats,
            "b2_min_sessions": args.b2_min_sessions,
            "b3_sessions": args.b3_sessions,
            "b4_sizes": list(args.b4_sizes),
            "b4_delay_s": args.b4_delay,
            "b4_env": args.b4_env,
            "orchestrator_env": extra,
            "variants": {name: str(tree or "current") for name, tree in variants.items()},
            "variant_env": variant_env,
            "profile": args.profile,
            "auth": auth is not None,
        },
        "phase_seconds": {},
        "phase_busy_percent": {},
    }
    first = Snapshot.take()
    started = time.monotonic()
    try:
        for phase in phases:
            print(f"[bench] {phase} ...", file=sys.stderr, flush=True)
            before, phase_started = Snapshot.take(), time.monotonic()
            if phase == "b1":
                results["b1"] = await b1_latency.run(ctx, transitions=args.transitions)
            elif phase == "b2":
                results["b2"] = await b2_throughput.run(
                    ctx, sizes=args.sizes, replicas=args.replicas, cap_s=args.cap,
                    repeats=args.b2_repeats, min_sessions=args.b2_min_sessions,
                )  # fmt: skip
            elif phase == "b3":
                results["b3"] = await b3_growth.run(ctx, sessions=args.b3_sessions)
            elif phase == "b4":
                results["b4"] = await b4_sessions.run(
                    ctx, sizes=args.b4_sizes, delay_s=args.b4_delay
                )
            elif phase == "b5":
                results["b5"] = await b5_run_tests.run(repetitions=args.b5_repetitions)
            elif phase == "b6":
                results["b6"] = await b6_real_app.run(repetitions=args.b6_repetitions)
            else:
                raise SystemExit(f"unknown phase {phase!r}")
            results["phase_seconds"][phase] = round(time.monotonic() - phase_started, 1)
            results["phase_busy_percent"][phase] = busy_percent(before, Snapshot.take())
            print(f"[bench] {phase} took {results['phase_seconds'][phase]} s", file=sys.stderr)
    finally:
        await ctx.cleanup()
    last = Snapshot.take()
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["load"] = {
        "loadavg_start": first.loadavg_1m,
        "loadavg_end": last.loadavg_1m,
        "busy_percent": busy_percent(first, last),
    }
    return results


@contextlib.contextmanager
def authenticated_broker(wanted: bool) -> Iterator[Endpoints | None]:
    """A private stack whose Kafka requires SASL/SCRAM (its MongoDB stays unused: every system
    stores into the shared one, so only the broker differs)."""
    if not wanted:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="cts-bench-auth-"))
    private = PrivateStack(directory, auth=True)
    try:
        private.up()
        yield private.endpoints
    finally:
        with contextlib.suppress(Exception):
            private.down()
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    phases = {p.strip() for p in args.only.split(",")}
    with (
        local_stack() as endpoints,
        authenticated_broker(args.auth and bool(phases & {"b1", "b2"})) as auth,
    ):
        results = asyncio.run(
            run(args, endpoints.kafka_bootstrap_servers, endpoints.mongodb_uri, auth)
        )
    json_path, md_path = report.write(results, args.out)
    print(report.markdown(results))
    print(f"\nwrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
