"""The results as a console table, JSON and markdown (``bench-results/``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Row = list[Any]


def _table(header: Row, rows: list[Row]) -> list[str]:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return lines


def _label(key: str) -> str:
    """``cts_vs_floor_r1`` -> ``cts/floor (1 replica)``; ``cts_two_vs_one`` -> ``cts 2 vs 1``."""
    if key.endswith("_two_vs_one"):
        return f"{key.removesuffix('_two_vs_one')} 2 vs 1"
    if key.endswith("_auth_vs_plain"):
        return f"{key.removesuffix('_auth_vs_plain')} SASL+ACLs/plain"
    system, replicas = key.rsplit("_vs_floor_r", 1)
    return f"{system}/floor ({replicas} replica{'s' if replicas != '1' else ''})"


def targets(results: dict[str, Any]) -> list[Row]:
    """(target, measured, met) for every target of issue 9 that this run measured."""
    out: list[Row] = []
    if b1 := results.get("b1"):
        out.append(["B1 p50 ratio CTS/floor <= 1.5", b1["ratio"]["p50"], b1["ratio"]["p50"] <= 1.5])
        out.append(["B1 CTS p99 < 50 ms", b1["cts"]["p99_ms"], b1["cts"]["p99_ms"] < 50])
    if b2 := results.get("b2"):
        for row in b2["comparisons"]:
            if "cts_vs_floor_r1" in row:
                value = row["cts_vs_floor_r1"]
                out.append([f"B2 N={row['n']} CTS >= 80% of floor", value, value >= 0.8])
        big = max(b2["comparisons"], key=lambda r: r["n"])
        if "cts_two_vs_one" in big:
            value = big["cts_two_vs_one"]
            out.append([f"B2 N={big['n']} two replicas >= 1.6x one", value, value >= 1.6])
        cts_rss = max(max(r["peak_rss_mb"]) for r in b2["rows"] if r["system"] == "cts")
        out.append(["B2 every orchestrator < 200 MB RSS", cts_rss, cts_rss < 200])
    if b3 := results.get("b3"):
        value = b3["latency_ratio_p50"]
        out.append(["B3 p50 at fix 10 / fix 1 <= 1.2 (flat)", value, value <= 1.2])
    if b4 := results.get("b4"):
        for row in b4["rows"]:
            if row["n"] == 100:
                out.append(["B4 N=100 makespan / N=1 <= 1.5", row["vs_one"], row["vs_one"] <= 1.5])
    if b5 := results.get("b5"):
        value = b5["ratio"]["bubblewrap_vs_bare"]
        out.append(["B5 warm RunTests sandboxed / bare <= 1.3", value, value <= 1.3])
    if b6 := results.get("b6"):
        value = b6["ratio"]["warm_vs_bare"]
        out.append(["B6 warm RunTests / bare mix test (shop app) <= 1.3", value, value <= 1.3])
        rebuilt = b6["warm_dependencies_rebuilt"]
        out.append(["B6 dependencies rebuilt by warm runs = 0", rebuilt, rebuilt == 0])
    return out


def markdown(results: dict[str, Any]) -> str:
    env, load = results["machine"], results["load"]
    lines = [
        f"# CTS benchmark {results['run_id']}",
        "",
        f"{results['started_at']} · commit {env['commit']} · {env['cpus']} CPUs "
        f"({env['cpu_model']}) · Python {env['python']} · took {results['duration_s']} s",
        "",
        f"Machine load (all processes, ours included): load average "
        f"{load['loadavg_start']} → {load['loadavg_end']}, CPU busy {load['busy_percent']}% "
        f"over the run.",
        "",
    ]
    if b1 := results.get("b1"):
        lines += [
            "## B1 step-transition latency",
            "",
            f"{b1['cts']['count']} transitions each, one session at a time.",
            "",
        ]
        systems = b1.get("systems", ["floor", "cts"])
        rows = [
            [k, b1[k]["p50_ms"], b1[k]["p95_ms"], b1[k]["p99_ms"], b1[k]["max_ms"],
             b1[k]["cpu_ms_per_session"], b1[k]["peak_rss_mb"]] for k in systems
        ]  # fmt: skip
        for name, r in b1["ratios"].items():
            rows.append([f"{name}/floor", r["p50"], r["p95"], r["p99"], "", r["cpu"], ""])
        for name, r in b1.get("auth_ratios", {}).items():
            rows.append([f"{name} SASL+ACLs/plain", r["p50"], r["p95"], r["p99"], "", "", ""])
        lines += _table(
            ["system", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/session", "peak RSS MB"],
            rows,
        )
        lines.append("")
    if b2 := results.get("b2"):
        lines += ["## B2 throughput", ""]
        lines += _table(
            [
                "system",
                "replicas",
                "N",
                "sessions done",
                "sessions/s (median)",
                "every run",
                "transitions/s",
                "CPU ms/session",
                "peak RSS MB",
            ],
            [
                [
                    r["system"],
                    r["replicas"],
                    r["n"],
                    f"{r['sessions']}" + ("" if r["complete"] else f" (capped at {b2['cap_s']} s)"),
                    r["sessions_per_s"],
                    " / ".join(str(v) for v in r.get("runs_sessions_per_s", [])),
                    r["transitions_per_s"],
                    r["cpu_ms_per_session"],
                    " / ".join(str(m) for m in r["peak_rss_mb"]),
                ]
                for r in b2["rows"]
            ],
        )
        columns = list(dict.fromkeys(k for c in b2["comparisons"] for k in c if k != "n"))
        lines += [
            "",
            *_table(
                ["N", *(_label(k) for k in columns)],
                [[c["n"], *(c.get(k, "") for k in columns)] for c in b2["comparisons"]],
            ),
            "",
        ]
    if b3 := results.get("b3"):
        lines += ["## B3 growth (fix attempt 1 vs 10)", ""]
        lines += _table(
            ["", "fix attempt 1", "fix attempt 10", "10 / 1"],
            [
                [
                    "session document (bytes, median)",
                    b3["doc_bytes"]["fix_1"],
                    b3["doc_bytes"]["fix_10"],
                    b3["doc_ratio"],
                ],
                [
                    "transition p50 ms",
                    b3["latency_at_fix_1"]["p50_ms"],
                    b3["latency_at_fix_10"]["p50_ms"],
                    b3["latency_ratio_p50"],
                ],
                [
                    "transition p95 ms",
                    b3["latency_at_fix_1"]["p95_ms"],
                    b3["latency_at_fix_10"]["p95_ms"],
                    "",
                ],
            ],
        )
        lines += [
            "",
            f"Each interaction adds {b3['doc_bytes_per_interaction']} bytes to the "
            "session document (the embedded audit trail); nothing else grows.",
            "",
        ]
    if b4 := results.get("b4"):
        lines += _b4(b4)
    if b5 := results.get("b5"):
        lines += _b5(b5)
    if b6 := results.get("b6"):
        lines += _b6(b6)
    if rows := targets(results):
        lines += ["## Targets", ""]
        lines += _table(
            ["target", "measured", "met"], [[n, v, "yes" if ok else "NO"] for n, v, ok in rows]
        )
        lines.append("")
    return "\n".join(lines)


def _b4(b4: dict[str, Any]) -> list[str]:
    services = list(b4["peak_rss_mb"])
    lines = [
        "## B4 sessions at once through the real services",
        "",
        f"One replica of each service; the model answers each of {b4['turns']} turns after "
        f"{b4['delay_s']} s; expect=none. N = 1 runs {len(b4['baseline_runs_s'])} times "
        f"({' / '.join(str(s) for s in b4['baseline_runs_s'])} s), its median is the baseline."
        + "".join(f" {key}={value}." for key, value in b4.get("env", {}).items()),
        "",
    ]
    lines += _table(
        ["N", "makespan s", "makespan / N=1", "median session s",
         *(f"{name} CPU s" for name in services)],
        [[r["n"], r["makespan_s"], r["vs_one"], r["median_session_s"],
          *(r["cpu_s"][name] for name in services)] for r in b4["rows"]],
    )  # fmt: skip
    rss = ", ".join(f"{name} {mb}" for name, mb in b4["peak_rss_mb"].items())
    lines += ["", f"Peak RSS per service (MB): {rss}.", ""]
    return lines + _b4_steps(b4["rows"])


def _b4_steps(rows: list[dict[str, Any]]) -> list[str]:
    """Each step's wait (command to executor start), run, and the orchestrator's turn after
    it (to the next command or the end), p50 / p95 / max seconds."""
    table = [
        [row["n"], step, *(" / ".join(str(t[k]) for k in ("p50", "p95", "max"))
                           for t in (parts.get(p, {}) for p in ("wait", "run", "after")))]
        for row in rows if "steps_s" in row
        for step, parts in row["steps_s"].items()
    ]  # fmt: skip
    if not table:
        return []
    header = ["N", "step", "wait s p50/p95/max", "run s p50/p95/max", "after s p50/p95/max"]
    return ["Where the time goes (wait: command to executor start; after: to the next "
            "command or the end):", "", *_table(header, table), ""]  # fmt: skip


def _b5(b5: dict[str, Any]) -> list[str]:
    ways = ("bare", "none", "bubblewrap")
    lines = [
        "## B5 warm RunTests on the demo's sample app",
        "",
        f"{b5['repetitions']} warm runs each, interleaved; bare = mix compile + mix test in the "
        "working tree (the runner before the sandbox), none = the step unconfined, "
        "bubblewrap = the step as deployed.",
        "",
    ]
    lines += _table(
        ["", *ways],
        [
            ["cold (s)", *(b5["cold_s"][w] for w in ways)],
            ["median (s)", *(b5["median_s"][w] for w in ways)],
            ["min / max (s)", *(f"{b5['min_s'][w]} / {b5['max_s'][w]}" for w in ways)],
        ],
    )
    ratio = b5["ratio"]
    lines += [
        "",
        f"bubblewrap / bare **{ratio['bubblewrap_vs_bare']}**, bubblewrap / none "
        f"{ratio['bubblewrap_vs_none']}, none / bare {ratio['none_vs_bare']}.",
        "",
    ]
    return lines


def _b6(b6: dict[str, Any]) -> list[str]:
    cold = b6["cold"]
    ways = ("warm", "prepare", "bare") if "prepare" in b6["median_s"] else ("warm", "bare")
    lines = [
        "## B6 RunTests on an application with dependencies and a database (examples/shop_app)",
        "",
        f"cold (first run of the project) {cold['run_s']} s, of which mix deps.get "
        f"{cold['fetch_s']} s and mix deps.compile {cold['compile_deps_s']} s. "
        f"{b6['repetitions']} warm runs (cache hits: dependencies rebuilt "
        f"{b6['warm_dependencies_rebuilt']}) interleaved with a PrepareProject of the project "
        "(warm) and bare runs of the same checkout (mix compile + mix test, no sandbox, "
        "straight to PostgreSQL).",
        "",
    ]
    lines += _table(
        ["", *ways],
        [
            ["median (s)", *(b6["median_s"][w] for w in ways)],
            ["min / max (s)", *(f"{b6['min_s'][w]} / {b6['max_s'][w]}" for w in ways)],
        ],
    )
    lines += ["", f"warm / bare **{b6['ratio']['warm_vs_bare']}**."]
    if "prepare_vs_warm" in b6["ratio"]:
        lines += [f"PrepareProject (warm) / warm RunTests {b6['ratio']['prepare_vs_warm']}."]
    lines += [""]
    return lines


def write(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    paths = []
    for name in (results["run_id"], "latest"):
        (directory / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
        (directory / f"{name}.md").write_text(text + "\n")
        paths.append(directory / f"{name}.md")
    return directory / f"{results['run_id']}.json", paths[0]
