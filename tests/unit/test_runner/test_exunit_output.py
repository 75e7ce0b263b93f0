"""Compiler diagnostics parsed from real Elixir output (1.14 as captured here; 1.16 shape)."""

from __future__ import annotations

from cts_test_runner.runners.exunit_output import parse_compiler_output

WARNINGS_1_14 = """\
warning: unused import Enum
  test/multi_test.exs:3

warning: Demo.Accounts.UserRepository.create_user/1 is undefined (module Demo.Accounts.\
UserRepository is not available or is yet to be defined)
Invalid call found at 2 locations:
  test/multi_test.exs:12: MultiTest."test create_user/1 one"/1
  test/multi_test.exs:13: MultiTest."test create_user/1 one"/1

warning: System.stacktrace/0 is deprecated. Use __STACKTRACE__ instead
  test/multi_test.exs:19: MultiTest."test create_user/1 two"/1

??

  0) MultiTest: failure on setup_all callback, all tests have been invalidated
     ** (RuntimeError) boom
     stacktrace:
       test/multi_test.exs:7: MultiTest.__ex_unit_setup_all_0/1
"""

SYNTAX_ERROR_1_14 = """\

== Compilation error in file test/syntax_test.exs ==
** (SyntaxError) test/syntax_test.exs:6:3: unexpected reserved word: end. The "(" at line 5 \
is missing terminator ")"
    (elixir 1.14.0) lib/kernel/parallel_compiler.ex:455: Kernel.ParallelCompiler.require_file/2
"""

UNDEFINED_1_14 = """\

== Compilation error in file test/undef_test.exs ==
** (CompileError) test/undef_test.exs:6: undefined function missing_fun/1 (expected UndefTest \
to define such a function or for it to be imported, but none are available)

"""

MODULE_RAISE_1_14 = """\
== Compilation error in file test/support/fx.ex ==
** (RuntimeError) boom at compile time
    test/support/fx.ex:3: (module)
    (elixir 1.14.0) lib/kernel/parallel_compiler.ex:346: anonymous fn/5 in ...
"""

VERBOSE_COMPILE = """\
Compiling 2 files (.ex)
Compiled lib/demo.ex
warning: variable "b" is unused (if the variable is not meant to be used, prefix it with an \
underscore)
  test/support/fx.ex:3: Demo.Fx.f/1

Compiled test/support/fx.ex
Generated demo app
"""

NEW_FORMAT_1_16 = """\
    warning: variable "x" is unused (if the variable is not meant to be used, prefix it with \
an underscore)
    │
  7 │       x = 1
    │       ~
    │
    └─ test/warn_test.exs:7:7: WarnTest."test create_user/1 unused var"/1

    error: undefined function missing_fun/1 (expected UndefTest to define such a function or \
for it to be imported, but none are available)
    │
  6 │       assert missing_fun(1) == 2
    │              ^^^^^^^^^^^
    │
    └─ test/undef_test.exs:6:14: UndefTest."test foo/1 calls missing"/1

== Compilation error in file test/undef_test.exs ==
** (CompileError) test/undef_test.exs: cannot compile module UndefTest (errors have been logged)
"""


def test_warnings_with_one_or_several_locations() -> None:
    parsed = parse_compiler_output(WARNINGS_1_14)

    assert [(w.file, w.line) for w in parsed.warnings] == [
        ("test/multi_test.exs", 3),
        ("test/multi_test.exs", 12),
        ("test/multi_test.exs", 13),
        ("test/multi_test.exs", 19),
    ]
    assert parsed.warnings[0].message == "unused import Enum"
    assert parsed.warnings[1].message.startswith("Demo.Accounts.UserRepository.create_user/1 is")
    assert "Invalid call" not in parsed.warnings[1].message
    assert {w.severity for w in parsed.warnings} == {"warning"}
    assert parsed.errors == []  # an indented "** (" inside a test failure is not compiling


def test_syntax_error_has_file_and_line() -> None:
    [error] = parse_compiler_output(SYNTAX_ERROR_1_14).errors

    assert (error.file, error.line) == ("test/syntax_test.exs", 6)
    assert error.message.startswith("(SyntaxError) unexpected reserved word: end.")
    assert error.severity == "error"


def test_undefined_local_function_is_an_error_with_its_line() -> None:
    [error] = parse_compiler_output(UNDEFINED_1_14).errors

    assert (error.file, error.line) == ("test/undef_test.exs", 6)
    assert "undefined function missing_fun/1" in error.message


def test_an_error_without_location_takes_it_from_the_stack() -> None:
    [error] = parse_compiler_output(MODULE_RAISE_1_14).errors

    assert (error.file, error.line) == ("test/support/fx.ex", 3)
    assert error.message == "(RuntimeError) boom at compile time"


def test_verbose_compile_lists_compiled_files() -> None:
    parsed = parse_compiler_output(VERBOSE_COMPILE)

    assert parsed.compiled_files == ["lib/demo.ex", "test/support/fx.ex"]
    assert [(w.file, w.line) for w in parsed.warnings] == [("test/support/fx.ex", 3)]


def test_the_1_16_boxed_format_is_understood() -> None:
    parsed = parse_compiler_output(NEW_FORMAT_1_16)

    [warning] = parsed.warnings
    assert (warning.file, warning.line) == ("test/warn_test.exs", 7)
    assert warning.message.startswith('variable "x" is unused')
    assert "│" not in warning.message
    [error] = parsed.errors  # the "errors have been logged" summary is not a second error
    assert (error.file, error.line) == ("test/undef_test.exs", 6)
    assert error.message.startswith("undefined function missing_fun/1")


def test_repeated_diagnostics_are_reported_once() -> None:
    parsed = parse_compiler_output(UNDEFINED_1_14 + UNDEFINED_1_14)

    assert len(parsed.errors) == 1


def test_ordinary_output_yields_nothing() -> None:
    parsed = parse_compiler_output("..\n\nFinished in 0.02 seconds\n2 tests, 0 failures\n")

    assert (parsed.errors, parsed.warnings, parsed.compiled_files) == ([], [], [])
