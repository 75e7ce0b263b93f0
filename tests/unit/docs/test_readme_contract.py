"""What the README tells a client who never reads our code agrees with the committed schemas
and the code: the examples validate, the session-id namespace and the key rule are the real
ones, the path defaults and the options are the schema's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError

from cts_contracts import SessionRequested, SessionRequestedData, naming
from cts_contracts.schema_export import EVENTS, SCHEMA_DIR
from cts_runtime.catalogue import TARGET as ASYNCAPI
from tools.config_reference import ROOT
from tools.readme_examples import blocks, marked_block

README = (ROOT / "README.md").read_text()
EXAMPLES = sorted((ROOT / "examples" / "requests").iterdir())
KEY_RULE = "Message key: the session id, on every topic"


def schema_for_event(event: dict[str, Any]) -> dict[str, Any]:
    name = str(event.get("type", "")).removeprefix("dev.cts.")
    assert name in EVENTS, f"an example of no known event type: {event.get('type')!r}"
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    return schema


def validate(schema: dict[str, Any], instance: Any) -> None:
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        instance
    )


def test_every_readme_json_example_validates_against_its_schema() -> None:
    examples = blocks("json")
    assert examples, "the README shows at least one JSON request"
    for text in examples:
        event = json.loads(text)
        validate(schema_for_event(event), event)
        SessionRequested.model_validate(event)  # and the consumer accepts what the schema does


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_request_validates_against_the_schema(path: Path) -> None:
    loaded = (
        json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    )
    if "specversion" in loaded:
        validate(schema_for_event(loaded), loaded)
        SessionRequested.model_validate(loaded)
    else:  # the data of an event, as `cts request --file` takes it
        schema = schema_for_event({"type": "dev.cts.session.requested.v1"})
        validate({"$ref": "#/$defs/SessionRequestedData", "$defs": schema["$defs"]}, loaded)
        SessionRequestedData.model_validate(loaded)


def test_the_schema_check_is_not_vacuous() -> None:
    [text] = blocks("json")[:1]
    event = json.loads(text)
    del event["data"]["component"]["module_name"]
    with pytest.raises(ValidationError, match="module_name"):
        validate(schema_for_event(event), event)


def test_the_readme_gives_the_real_session_id_namespace_and_examples() -> None:
    namespace = str(naming.SESSION_NAMESPACE)
    assert f"uuid5({namespace}, " in README
    for request_id, session_id in re.findall(
        r"For `acme`, `shop` and `([^`]+)` it is\s+`([0-9a-f-]{36})`", README
    ):
        assert session_id == naming.session_id_for("acme", "shop", request_id)
    for text in blocks("json"):
        data = json.loads(text)["data"]
        expected = naming.session_id_for(data["account_id"], data["project_id"], data["request_id"])
        assert json.loads(text)["subject"] == expected


def test_the_console_producer_example_keys_by_the_session_id_it_computes() -> None:
    block = marked_block("request")
    computed = re.search(r'uuid\.UUID\("([0-9a-f-]{36})"\), "([^"]+)"', block)
    assert computed, block
    assert computed.group(1) == str(naming.SESSION_NAMESPACE)
    request_file = re.search(r"< (examples/requests/\S+\.json)", block)
    assert request_file, block
    data = json.loads((ROOT / request_file.group(1)).read_text())["data"]
    assert computed.group(2) == f"{data['account_id']}/{data['project_id']}/{data['request_id']}"
    assert "printf '%s|' \"$SESSION\"" in block, "each line is <session id>|<event>"
    assert "--topic cts.session.requested.v1" in block
    repository = marked_block("repository")
    url = data["repository"]["url"].removeprefix("file://")
    assert f"git clone -q --bare /tmp/cts-example/seed {url}" in repository


def test_one_message_key_rule_in_readme_and_asyncapi() -> None:
    assert KEY_RULE in README
    asyncapi = yaml.safe_load(ASYNCAPI.read_text())
    assert KEY_RULE in asyncapi["info"]["description"]
    assert not re.search(r"(?i)key(ed)? (is|by) (the )?request[ _]id", README)


def test_the_path_defaults_table_is_the_code() -> None:
    module = "MyApp.Accounts.UserRepository"
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|$", README, re.MULTILINE))
    component = SessionRequestedData.model_validate(
        {"account_id": "a", "project_id": "p", "request_id": "r", "repository": {"url": "u"},
         "component": {"module_name": module, "type": "repository"}}
    ).component  # fmt: skip
    for field in ("name", "source_file", "test_file", "design_file", "parent_design_file",
                  "fixture_file", "fixture_module"):  # fmt: skip
        assert rows.get(field) == getattr(component, field), field


def test_the_options_table_lists_exactly_the_schemas_options() -> None:
    schema = schema_for_event({"type": "dev.cts.session.requested.v1"})
    options = schema["$defs"]["SessionOptions"]["properties"]
    section = README[README.index("**Options**") : README.index("**When RunTests is `ok`**")]
    rows = re.findall(r"^\| `(\w+)` \| (`[^`]*`|–) \|", section, re.MULTILINE)
    assert sorted(name for name, _ in rows) == sorted(options)
    for name, default in rows:
        documented = None if default == "–" else default.strip("`")
        real = options[name].get("default")
        assert documented == (None if real in (None, {}, []) else str(real)), name
