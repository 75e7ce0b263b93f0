"""The configuration reference, generated from the settings classes.

``make config-reference`` (``python -m tools.config_reference``) writes
``docs/configuration.md``: every ``CTS_`` variable each service reads, with its default and
meaning, taken from the pydantic-settings classes themselves, so it cannot drift from the
code; a unit test fails when the committed file is stale. The few variables read by scripts
rather than by settings classes are listed in ``tools.script_variables``.
"""

from __future__ import annotations

import enum
import importlib
import json
import pkgutil
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python
from pydantic_settings import BaseSettings

from tools.script_variables import SCRIPT_VARIABLES, ScriptVariable

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "configuration.md"
PACKAGES = ("cts_runtime", "cts_orchestrator", "cts_git_committer", "cts_agent_runner",
            "cts_test_runner")  # fmt: skip
UNSET = "–"
COMPUTED = "computed"


@dataclass(frozen=True)
class Variable:
    names: tuple[str, ...]
    default: str
    meaning: str


@dataclass(frozen=True)
class Section:
    settings: type[BaseSettings]
    variables: list[Variable]


def settings_classes() -> list[type[BaseSettings]]:
    """Every settings class the services define, bases before the classes extending them."""
    found: dict[str, type[BaseSettings]] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.endswith(".__main__"):
                continue  # running a service is not what we want from importing it
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseSettings)
                    and value.__module__ == info.name
                ):
                    found[f"{info.name}.{value.__qualname__}"] = value
    classes = list(found.values())

    def order(cls: type[BaseSettings]) -> tuple[int, bool, str]:
        # The most widely read first (Kafka, MongoDB, every service), then each service.
        extended_by = sum(1 for other in classes if other is not cls and issubclass(other, cls))
        return (-extended_by, _service_name(cls) is not None, cls.__module__)

    return sorted(classes, key=order)


def _service_name(cls: type[BaseSettings]) -> str | None:
    """The service a class configures: the one that sets its own ``service_name``."""
    field = cls.model_fields.get("service_name")
    if field is None or "service_name" not in cls.__annotations__:
        return None
    return str(field.default) if field.default != "cts" else None


def sections() -> list[Section]:
    classes = settings_classes()
    out = []
    for cls in classes:
        bases = [base for base in classes if base is not cls and issubclass(cls, base)]
        inherited = {name: field for base in bases for name, field in base.model_fields.items()}
        own = [
            variable(cls, name, field, inherited.get(name))
            for name, field in cls.model_fields.items()
            if name not in inherited or _default(inherited[name]) != _default(field)
        ]
        out.append(Section(cls, own))
    return out


def variable(
    cls: type[BaseSettings], name: str, field: FieldInfo, overridden: FieldInfo | None
) -> Variable:
    # A subclass that only changes a default (service_name) keeps the base's meaning.
    description = field.description or (overridden.description if overridden else None)
    if not description:
        raise ValueError(f"{cls.__name__}.{name} has no description: say what it means")
    meaning = description.rstrip(".") + _bounds(field) + "." + _values(field.annotation)
    return Variable(_env_names(cls, name, field), _default(field), meaning)


def _env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    if isinstance(alias, str):
        return (alias.upper(),)
    return (f"{cls.model_config.get('env_prefix', '')}{name}".upper(),)


def _default(field: FieldInfo) -> str:
    if field.default_factory is None:
        return _shown(field.default)
    value = field.get_default(call_default_factory=True, validated_data={})
    # Anything but a collection is computed (e.g. from the host name): the meaning says how.
    return _shown(value) if isinstance(value, list | dict) else COMPUTED


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or value in ([], {}, ""):
        return UNSET
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(to_jsonable_python(value), separators=(",", ":"))
    return str(value)


def _values(annotation: Any) -> str:
    options: list[str] = []
    for part in typing.get_args(annotation) if _is_union(annotation) else (annotation,):
        if typing.get_origin(part) is typing.Literal:
            options += [str(value) for value in typing.get_args(part)]
        elif isinstance(part, type) and issubclass(part, enum.Enum):
            options += [str(member.value) for member in part]
    shown = [f"`{option}`" if option else '`""`' for option in options]
    return f" One of {', '.join(shown)}." if options else ""


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _bounds(field: FieldInfo) -> str:
    words = {
        annotated_types.Ge: ("≥", "ge"),
        annotated_types.Gt: (">", "gt"),
        annotated_types.Le: ("≤", "le"),
        annotated_types.Lt: ("<", "lt"),
    }
    parts = [
        f"{sign} {getattr(item, attribute)}"
        for item in field.metadata
        for kind, (sign, attribute) in words.items()
        if isinstance(item, kind)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def _short(cls: type[BaseSettings]) -> str:
    return _title(cls).split(":")[0].split(" (")[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _title(cls: type[BaseSettings]) -> str:
    service = _service_name(cls)
    if service:
        return f"{service} (`python -m {cls.__module__.split('.')[0]}`)"
    doc = (cls.__doc__ or "").strip()
    first = doc.splitlines()[0] if doc else cls.__name__
    return first.replace("``", "`").rstrip(".")


def render() -> str:
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `make config-reference` from the settings classes; do not edit. -->",
        "",
        "Every CTS service reads its settings from environment variables (pydantic-settings;",
        "names are case-insensitive). A service reads its own section and every section of",
        "the classes it extends (each heading names its class and module). `–` means unset.",
        "Lists are comma-separated; mappings are JSON.",
    ]
    for section in sections():
        if not section.variables:
            continue
        cls = section.settings
        bases = [_short(b) for b in cls.__mro__[1:] if b.__module__.startswith("cts_")]
        also = f"; also reads the sections {', '.join(bases)}" if bases else ""
        lines += ["", f"## {_title(cls)}", "", f"`{cls.__module__}.{cls.__name__}`{also}", ""]
        lines += ["| variable | default | meaning |", "| --- | --- | --- |"]
        for v in section.variables:
            names = " / ".join(f"`{name}`" for name in v.names)
            default = v.default if v.default in (UNSET, COMPUTED) else f"`{_cell(v.default)}`"
            lines.append(f"| {names} | {default} | {_cell(v.meaning)} |")
    lines += _script_tables()
    return "\n".join(lines) + "\n"


def _script_tables() -> list[str]:
    lines: list[str] = []
    for title, rows in _grouped(SCRIPT_VARIABLES).items():
        lines += ["", f"## {title}", "", "| variable | default | meaning | read by |"]
        lines.append("| --- | --- | --- | --- |")
        for row in rows:
            check_script_variable(row)
            default = f"`{row.default}`" if row.default != UNSET else UNSET
            lines.append(f"| `{row.name}` | {default} | {_cell(row.meaning)} | `{row.file}` |")
    return lines


def _grouped(rows: list[ScriptVariable]) -> dict[str, list[ScriptVariable]]:
    out: dict[str, list[ScriptVariable]] = {}
    for row in rows:
        out.setdefault(row.group, []).append(row)
    return out


def check_script_variable(row: ScriptVariable) -> None:
    """The script still reads the variable, with the default said here."""
    text = (ROOT / row.file).read_text()
    lines = [line for line in text.splitlines() if row.name in line]
    if not lines:
        raise ValueError(f"{row.file} no longer mentions {row.name}")
    if row.default != UNSET and not any(row.default in line for line in lines):
        raise ValueError(f"{row.file} reads {row.name} without the default {row.default!r}")


def variable_names() -> set[str]:
    names = {name for section in sections() for v in section.variables for name in v.names}
    return names | {row.name for row in SCRIPT_VARIABLES}


def defaults() -> dict[str, str]:
    out = {name: v.default for s in sections() for v in s.variables for name in v.names}
    return out | {row.name: row.default for row in SCRIPT_VARIABLES}


def main() -> int:
    TARGET.write_text(render())
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(variable_names())} variables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
