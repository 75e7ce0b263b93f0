"""ExUnit through Mix: ``mix compile`` (to see the project's warnings), then ``mix test`` with
the JSON formatter shipped beside this module."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, cast

from cts_contracts import Diagnostic
from cts_test_runner.process import ProcessResult
from cts_test_runner.runners.base import Command, RanTest, RunRequest, RunResults, TestId, TestState
from cts_test_runner.runners.exunit_output import parse_compiler_output
from cts_test_runner.runners.exunit_source import declared_exunit_tests
from cts_test_runner.runners.warning_ledger import WarningLedger

FORMATTER_MODULE = "CtsTestRunner.JSONFormatter"
REPORT_ENV = "CTS_EXUNIT_REPORT"
REPORT_NAME = "exunit-report.json"
_STATES: frozenset[str] = frozenset({"passed", "failed", "skipped", "invalid", "excluded"})


def formatter_path() -> Path:
    return Path(str(resources.files("cts_test_runner.runners") / "exunit_formatter.exs"))


class ExUnitRunner:
    name = "exunit"

    def commands(self, request: RunRequest) -> list[Command]:
        env = {"MIX_ENV": "test", "MIX_BUILD_ROOT": str(request.build_dir)}
        compile_step = Command(("mix", "compile", "--verbose"), env, "mix compile", gate=True)
        return [compile_step, Command(self._test_argv(request), self._test_env(request), "tests")]

    def _test_env(self, request: RunRequest) -> dict[str, str]:
        return {
            "MIX_ENV": "test",
            "MIX_BUILD_ROOT": str(request.build_dir),
            REPORT_ENV: str(request.scratch / REPORT_NAME),
        }

    def _test_argv(self, request: RunRequest) -> tuple[str, ...]:
        base = request.test_command or ("mix", "test", request.test_file)
        if base[0] != "mix":
            # Not a Mix command: run it as given; only its exit code will speak.
            return base
        formatters = ("--formatter", FORMATTER_MODULE, "--formatter", "ExUnit.CLIFormatter")
        return ("elixir", "-r", str(formatter_path()), "-S", *base, *formatters)

    def parse(self, request: RunRequest, runs: list[ProcessResult]) -> RunResults:
        compile_run = parse_compiler_output(runs[0].output)
        ledger = WarningLedger(request.build_dir, request.workspace)
        warnings = ledger.reconcile(compile_run.compiled_files, compile_run.warnings)
        if len(runs) < 2:
            errors = compile_run.errors or [_no_diagnostic(runs[0])]
            return RunResults(compiled=False, compile_errors=errors, warnings=warnings)
        test_run = parse_compiler_output(runs[1].output)
        results = RunResults(
            compiled=not test_run.errors,
            compile_errors=test_run.errors,
            warnings=warnings + test_run.warnings,
        )
        report = _read_report(request.scratch / REPORT_NAME)
        if report is not None:
            # The formatter writes only when the suite finished, so everything compiled; an
            # error-looking line in the output was printed by a test, not the compiler.
            results.structured = True
            results.compiled = True
            results.compile_errors = []
            results.tests = [_ran_test(item) for item in report.get("tests", [])]
            if report.get("truncated"):
                results.total = int(report.get("total", len(results.tests)))
            for failure in report.get("module_failures", []):
                results.notes.append(
                    f"setup_all failed in {failure.get('module')}: {failure.get('message')}"
                )
        return results

    def declared_tests(self, source: str) -> list[TestId]:
        return declared_exunit_tests(source)


def _no_diagnostic(run: ProcessResult) -> Diagnostic:
    what = "timed out" if run.timed_out else f"exited with code {run.exit_code}"
    return Diagnostic(message=f"`{' '.join(run.argv)}` {what} without a recognisable error")


def _read_report(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cast(dict[str, Any], raw) if isinstance(raw, dict) else None


def _ran_test(item: dict[str, Any]) -> RanTest:
    state = str(item.get("state"))
    line = item.get("line")
    return RanTest(
        module=str(item.get("module") or "?"),
        describe=item.get("describe") if isinstance(item.get("describe"), str) else None,
        name=str(item.get("name") or ""),
        state=cast(TestState, state if state in _STATES else "invalid"),
        file=item.get("file") if isinstance(item.get("file"), str) else None,
        line=line if isinstance(line, int) else None,
        message=item.get("message") if isinstance(item.get("message"), str) else None,
        kind=str(item.get("test_type") or "test"),
    )
