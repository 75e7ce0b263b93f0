"""Build a valid ``SessionRequested`` from command-line flags or a JSON/YAML file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cts_contracts import SessionRequested, SessionRequestedData
from cts_runtime.decoding import describe_validation_error


class BadRequest(ValueError):
    """Input a person must fix; the message names the field."""


def load_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    try:
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    if not isinstance(loaded, dict):
        raise BadRequest(f"{path} must hold a mapping of request fields")
    # A whole CloudEvent is accepted too: its ``data`` is the request.
    return (
        loaded["data"]
        if "specversion" in loaded and isinstance(loaded.get("data"), dict)
        else loaded
    )


def merge(base: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """Flags override the file; nested sections merge key by key."""
    merged = dict(base)
    for key, value in flags.items():
        if value is None:
            continue
        if isinstance(value, dict):
            merged[key] = {
                **merged.get(key, {}),
                **{k: v for k, v in value.items() if v is not None},
            }
        else:
            merged[key] = value
    merged.setdefault("request_id", f"cli-{uuid.uuid4().hex[:12]}")
    return merged


def build(raw: dict[str, Any], *, source: str = "cts/cli") -> SessionRequested:
    try:
        data = SessionRequestedData.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(f"invalid request: {describe_validation_error(exc)}") from None
    return SessionRequested(source=source, subject=data.session_id, data=data)
