"""ExUnit through Mix: ``mix compile`` (to see the project's warnings), then ``mix test`` with
the JSON formatter shipped beside this module, its report read from the command's channel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, cast

from cts_contracts import Diagnostic
from cts_test_runner.process import ProcessResult
from cts_test_runner.runners.base import Command, RanTest, RunRequest, RunResults, TestId, TestState
from cts_test_runner.runners.exunit_output import parse_compiler_output
from cts_test_runner.runners.exunit_report import STATES, integrity_problems, parse_stream
from cts_test_runner.runners.exunit_source import declared_exunit_tests
from cts_test_runner.runners.warning_ledger import WarningLedger

FORMATTER_MODULE = "CtsTestRunner.JSONFormatter"
CHANNEL_ENV = "CTS_EXUNIT_REPORT_FD"


def formatter_path() -> Path:
    return Path(str(resources.files("cts_test_runner.runners") / "exunit_formatter.exs"))


class ExUnitRunner:
    name = "exunit"

    def commands(self, request: RunRequest) -> list[Command]:
        env = {"MIX_ENV": "test", "MIX_BUILD_ROOT": request.build_dir}
        if request.deps_dir is not None:
            env["MIX_DEPS_PATH"] = request.deps_dir
        compile_step = Command(("mix", "compile", "--verbose"), env, "mix compile", gate=True)
        base = request.test_command or ("mix", "test", request.test_file)
        formatter = formatter_path()
        argv = (
            "elixir",
            "-r",
            request.tool(formatter),
            "-S",
            *base,
            *("--formatter", FORMATTER_MODULE, "--formatter", "ExUnit.CLIFormatter"),
        )
        tests = Command(argv, env, "tests", tools=(formatter,), channel=CHANNEL_ENV)
        return [compile_step, tests]

    def parse(self, request: RunRequest, runs: list[ProcessResult]) -> RunResults:
        compile_run = parse_compiler_output(runs[0].output)
        ledger = WarningLedger(request.ledger_dir, request.workspace)
        warnings = ledger.reconcile(compile_run.compiled_files, compile_run.warnings)
        if len(runs) < 2:
            errors = compile_run.errors or [_no_diagnostic(runs[0])]
            return RunResults(compiled=False, compile_errors=errors, warnings=warnings)
        test_run = runs[1]
        compiled = parse_compiler_output(test_run.output)
        results = RunResults(
            compiled=not compiled.errors,
            compile_errors=compiled.errors,
            warnings=warnings + compiled.warnings,
        )
        report = parse_stream(test_run.channel)
        if not report.ran and (compiled.errors or not report.began):
            return results  # nothing ran: the compiler's account stands
        # The formatter was loaded and the suite began, so everything compiled; an
        # error-looking line in the output was printed by a test, not the compiler.
        results.structured = True
        results.compiled = True
        results.compile_errors = []
        results.tests = [_ran_test(item) for item in report.tests]
        if report.suite is not None and report.suite.get("truncated"):
            results.total = int(report.suite.get("total", len(results.tests)))
        for failure in report.module_failures:
            results.notes.append(
                f"setup_all failed in {failure.get('module')}: {failure.get('message')}"
            )
        if not test_run.timed_out:
            results.integrity = integrity_problems(
                report, exit_code=test_run.exit_code, output=test_run.output
            )
        return results

    def declared_tests(self, source: str) -> list[TestId]:
        return declared_exunit_tests(source)


def _no_diagnostic(run: ProcessResult) -> Diagnostic:
    what = "timed out" if run.timed_out else f"exited with code {run.exit_code}"
    return Diagnostic(message=f"`{' '.join(run.argv)}` {what} without a recognisable error")


def _ran_test(item: dict[str, Any]) -> RanTest:
    state = str(item.get("state"))
    line = item.get("line")
    return RanTest(
        module=str(item.get("module") or "?"),
        describe=item.get("describe") if isinstance(item.get("describe"), str) else None,
        name=str(item.get("name") or ""),
        state=cast(TestState, state if state in STATES else "invalid"),
        file=item.get("file") if isinstance(item.get("file"), str) else None,
        line=line if isinstance(line, int) else None,
        message=item.get("message") if isinstance(item.get("message"), str) else None,
        kind=str(item.get("test_type") or "test"),
    )
