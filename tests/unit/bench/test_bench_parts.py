"""The benchmark's own parts: answers are valid contracts, the floor walks a happy path, and
percentiles are real samples."""

from __future__ import annotations

import json

import pytest

from bench import answers, b2_throughput, floor
from bench.stats import latency_summary, percentile, ratio
from cts_contracts import Expect, ResultStatus, RunTestsData, Step, StepCompleted
from cts_contracts import topics as t
from cts_core import steps
from cts_core.steps import command_topic, kind_of
from cts_testing.factories import step_request


@pytest.mark.parametrize("step", list(Step))
def test_every_instant_answer_is_a_valid_step_completed(step: Step) -> None:
    command = step_request(step).model_dump(mode="json")
    event = StepCompleted.model_validate_json(answers.completion(command))
    assert event.data.interaction_id == command["interaction_id"]
    assert event.data.step is step
    assert event.data.status is ResultStatus.OK
    assert event.data.data is not None
    assert event.data.data.step == step.value


def test_a_failing_run_tests_answers_error_with_a_report_for_fix() -> None:
    command = step_request(Step.RUN_TESTS).model_dump(mode="json")
    event = StepCompleted.model_validate_json(answers.completion(command, fail=True))
    assert event.data.status is ResultStatus.ERROR
    assert event.data.data is not None
    assert isinstance(event.data.data, RunTestsData)
    assert event.data.data.report.startswith("== Compilation error")


def test_fail_only_affects_run_tests() -> None:
    command = step_request(Step.FINALIZE).model_dump(mode="json")
    event = StepCompleted.model_validate_json(answers.completion(command, fail=True))
    assert event.data.status is ResultStatus.OK


def test_the_floor_walks_the_happy_path_of_a_cts_session_then_finishes() -> None:
    request = {"session_id": "s1", "account_id": "acme", "project_id": "shop"}
    path = steps(Expect.RED)
    sent = [floor.next_message(request, n, prefix="p.", pad="xx") for n in range(1, len(path) + 2)]
    assert [topic for topic, _ in sent] == [
        *("p." + command_topic(kind_of(step).executor) for step in path),
        "p." + t.SESSION_FINISHED,
    ]
    assert [json.loads(body)["data"].get("step") for _, body in sent] == [*path, None]
    assert len(path) == b2_throughput.TRANSITIONS_PER_SESSION
    assert json.loads(sent[-1][1])["data"] == {"session_id": "s1", "status": "complete"}


def test_percentiles_are_nearest_rank_samples() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    summary = latency_summary([0.001, 0.002, 0.010])
    assert summary == {"count": 3, "p50_ms": 2.0, "p95_ms": 10.0, "p99_ms": 10.0,
                       "max_ms": 10.0, "mean_ms": 4.33}  # fmt: skip
    assert ratio(3.0, 2.0) == 1.5


def test_b5_reports_the_sandboxed_step_against_the_bare_run() -> None:
    from bench import report  # noqa: PLC0415

    ways = {"bare": 0.8, "none": 0.9, "bubblewrap": 1.2}
    results = {
        "run_id": "r",
        "started_at": "t",
        "duration_s": 1,
        "machine": {"commit": "c", "cpus": 2, "cpu_model": "x", "python": "3.11"},
        "load": {"loadavg_start": 0, "loadavg_end": 0, "busy_percent": 0},
        "b5": {
            "repetitions": 3,
            "cold_s": ways,
            "median_s": ways,
            "min_s": ways,
            "max_s": ways,
            "ratio": {"bubblewrap_vs_bare": 1.5, "bubblewrap_vs_none": 1.33, "none_vs_bare": 1.12},
        },
    }
    text = report.markdown(results)
    assert "bubblewrap / bare **1.5**" in text
    assert ["B5 warm RunTests sandboxed / bare <= 1.3", 1.5, False] in report.targets(results)


def test_b4_scripts_a_valid_conversation_per_session_each_turn_delayed() -> None:
    from bench.b4_sessions import conversation, session_tag  # noqa: PLC0415
    from cts_testing.scripted_llm.script import parse_script  # noqa: PLC0415

    script = parse_script([conversation("s-1", 3.0), conversation("s-2", 3.0)])
    first = script.conversations[0]
    assert first.match.contains == session_tag("s-1")
    assert session_tag("s-1") not in (script.conversations[1].match.contains or "")
    assert [turn.delay_s for turn in first.turns] == [3.0, 3.0, 3.0]


def test_b4_reports_makespans_against_one_session_and_rss_per_service() -> None:
    from bench import report  # noqa: PLC0415

    cpu = {"orchestrator": 1.0, "agent-runner": 2.0}
    results = {
        "run_id": "r",
        "started_at": "t",
        "duration_s": 1,
        "machine": {"commit": "c", "cpus": 2, "cpu_model": "x", "python": "3.11"},
        "load": {"loadavg_start": 0, "loadavg_end": 0, "busy_percent": 0},
        "b4": {
            "delay_s": 3.0,
            "turns": 3,
            "baseline_runs_s": [10.0, 10.2, 10.1],
            "rows": [
                {"n": 1, "makespan_s": 10.1, "vs_one": 1.0, "median_session_s": 10.1, "cpu_s": cpu},
                {
                    "n": 100,
                    "makespan_s": 16.2,
                    "vs_one": 1.6,
                    "median_session_s": 13.0,
                    "cpu_s": cpu,
                },
            ],
            "peak_rss_mb": {"orchestrator": 90.0, "agent-runner": 150.0},
        },
    }
    text = report.markdown(results)
    assert "| 100 | 16.2 | 1.6 | 13.0 | 1.0 | 2.0 |" in text
    assert "orchestrator 90.0, agent-runner 150.0" in text
    assert ["B4 N=100 makespan / N=1 <= 1.5", 1.6, False] in report.targets(results)


def test_b2_keeps_each_systems_median_run_and_lists_every_run() -> None:
    def run(rate: float, *, complete: bool = True) -> dict[str, object]:
        return {"system": "cts", "sessions_per_s": rate, "complete": complete, "cpu": rate}

    kept = b2_throughput._median_run([run(40.0), run(51.0), run(45.0)])
    assert kept["sessions_per_s"] == 45.0
    assert kept["cpu"] == 45.0, "the median run's own figures, not a mix of runs"
    assert kept["runs_sessions_per_s"] == [40.0, 51.0, 45.0]
    assert b2_throughput._median_run([run(50.0), run(30.0)])["sessions_per_s"] == 30.0
    capped = b2_throughput._median_run([run(50.0), run(2.0, complete=False)])
    assert capped["sessions_per_s"] == 2.0
    assert capped["complete"] is False
