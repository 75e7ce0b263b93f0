"""docs/configuration.md is generated from the settings classes and current; the README and
docs name only variables that exist, with the defaults the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import config_reference
from tools.script_variables import ScriptVariable

ROOT = config_reference.ROOT
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "services").glob("*/README.md")),
]
MENTION = re.compile(r"\bCTS_[A-Z0-9_]*[A-Z0-9*{]")
TABLE_ROW = re.compile(r"^\| `(CTS_[A-Z0-9_]+)` \| `([^`]*)` \|", re.MULTILINE)


def test_the_committed_reference_is_current() -> None:
    committed = config_reference.TARGET.read_text()
    assert committed == config_reference.render(), "run `make config-reference` and commit it"


def test_every_setting_of_every_service_is_listed_with_a_meaning() -> None:
    listed = config_reference.variable_names()
    for cls in config_reference.settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            if field.validation_alias is None:
                assert f"{prefix}{name}".upper() in listed, (cls.__name__, name)
    for must in ("CTS_GIT_ALLOW_FILE_URLS", "CTS_ANTHROPIC_BASE_URL", "CTS_GIT_HTTPS_TOKEN",
                 "CTS_GIT_HTTPS_TOKEN_FILE", "CTS_GIT_HTTPS_TOKEN_HOSTS", "ANTHROPIC_API_KEY",
                 "CTS_ALIGNMENT_THRESHOLD", "CTS_TEST_WARNINGS_AS_ERRORS"):  # fmt: skip
        assert must in listed


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_name_only_variables_that_exist(doc: Path) -> None:
    known = config_reference.variable_names()
    unknown = set()
    for mention in MENTION.findall(doc.read_text()):
        if mention.endswith(("*", "{")):  # a family: CTS_HTTP_*, CTS_DEADLINE_{...}
            stem = mention[:-1]
            if not any(name.startswith(stem) for name in known):
                unknown.add(mention)
        elif mention not in known:
            unknown.add(mention)
    assert not unknown, f"{doc.name} names variables no code reads: {sorted(unknown)}"


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if d != config_reference.TARGET], ids=lambda p: str(p.relative_to(ROOT))
)
def test_defaults_in_doc_tables_are_the_real_ones(doc: Path) -> None:
    real = config_reference.defaults()
    for name, default in TABLE_ROW.findall(doc.read_text()):
        assert real.get(name) == default, f"{doc.name}: {name} defaults to {real.get(name)!r}"


def test_a_variable_a_script_no_longer_reads_fails_the_generator(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no longer mentions"):
        config_reference.check_script_variable(
            ScriptVariable("CTS_NOT_THERE", "1", "gone", "Makefile")
        )
    with pytest.raises(ValueError, match="without the default"):
        config_reference.check_script_variable(
            ScriptVariable("CTS_TOPIC_PARTITIONS", "7", "wrong default", "Makefile")
        )
