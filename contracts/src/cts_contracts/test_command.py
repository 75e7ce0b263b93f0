"""``options.test_command``: the argv of a known test runner, with arguments checked one by one.

Whatever runs is sandboxed, but a free-form command would still be a way to run anything a
request likes instead of the tests; so only ``mix test …`` and ``python -m pytest …`` (or
``python3``) are accepted, with test paths and a small set of options.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from cts_contracts.fields import check_relative_path

_TAG = re.compile(r"^[A-Za-z0-9_:.-]{1,100}$")
_NUMBER = re.compile(r"^[0-9]{1,9}$")
_EXPRESSION = re.compile(r"^[A-Za-z0-9_ .:()-]{1,200}$")
_MIX_PATH = re.compile(r"^[A-Za-z0-9_./-]+\.exs(:[0-9]{1,9})?$|^[A-Za-z0-9_./-]+/?$")
_PYTEST_PATH = re.compile(r"^[A-Za-z0-9_./-]+(\.py)?(::[A-Za-z0-9_\[\]-]+)*$")

MIX_FLAGS = frozenset({"--trace", "--failed", "--stale", "--no-color", "--warnings-as-errors"})
MIX_OPTIONS = {
    "--only": _TAG,
    "--include": _TAG,
    "--exclude": _TAG,
    "--seed": _NUMBER,
    "--max-failures": _NUMBER,
    "--timeout": _NUMBER,
    "--max-cases": _NUMBER,
    "--slowest": _NUMBER,
}
PYTEST_FLAGS = frozenset({"-q", "-v", "-x", "-s", "--exitfirst", "--quiet", "--verbose"})
PYTEST_OPTIONS = {"-k": _EXPRESSION, "-m": _EXPRESSION, "--maxfail": _NUMBER}


def _check_arguments(
    arguments: list[str],
    flags: frozenset[str],
    options: dict[str, re.Pattern[str]],
    path: re.Pattern[str],
) -> None:
    pending: str | None = None
    for argument in arguments:
        if pending is not None:
            if not options[pending].match(argument):
                raise ValueError(f"{argument!r} is not an accepted value for {pending}")
            pending = None
        elif argument in options:
            pending = argument
        elif argument.startswith("-"):
            if argument not in flags:
                allowed = ", ".join(sorted({*flags, *options}))
                raise ValueError(f"option {argument!r} is not accepted (accepted: {allowed})")
        else:
            check_relative_path(argument.split("::")[0].split(":")[0])
            if not path.match(argument):
                raise ValueError(f"{argument!r} is not a test path")
    if pending is not None:
        raise ValueError(f"{pending} needs a value")


def check_test_command(argv: list[str]) -> list[str]:
    if argv[:2] == ["mix", "test"]:
        _check_arguments(argv[2:], MIX_FLAGS, MIX_OPTIONS, _MIX_PATH)
    elif len(argv) >= 3 and argv[0] in ("python", "python3") and argv[1:3] == ["-m", "pytest"]:
        _check_arguments(argv[3:], PYTEST_FLAGS, PYTEST_OPTIONS, _PYTEST_PATH)
    else:
        shown = " ".join(argv[:3])
        raise ValueError(
            f"only `mix test …` or `python -m pytest …` may run as the test command, not {shown!r}"
        )
    return argv


TestCommand = Annotated[
    list[Annotated[str, StringConstraints(max_length=200)]],
    Field(
        min_length=1,
        max_length=20,
        description="argv, never a shell string: `mix test [paths] [options]` or "
        "`python -m pytest [paths] [options]`, with a fixed set of options",
    ),
    AfterValidator(check_test_command),
]
