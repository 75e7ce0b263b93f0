"""The replay script: conversations chosen by what a request says, each a list of turns.

```yaml
conversations:
  - name: generate
    match: {contains: "MyApp.Accounts.UserRepository", step: generate_tests_and_fixtures}
    turns:
      - error: {status: 429, headers: {retry-after: "0"}}
      - content:
          - {type: tool_use, name: write_file,
             input: {path: test/x_test.exs, content: {$file: files/x_test.exs}}}
      - content: [{type: text, text: "Done."}]
```

A ``{"$file": path}`` value anywhere in a tool input is replaced by that file's text (relative
to the script), so long file contents need not be inlined.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

STEP_MARKER = "Step: {step}"
"""How a prompt names its step; ``match.step`` looks for this line in the latest user text."""

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Match(_Strict):
    contains: str | None = Field(default=None, description="Substring of the first user message")
    step: str | None = Field(default=None, description="'Step: <step>' in the latest user prompt")


class Failure(_Strict):
    status: int = Field(ge=400, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    message: str | None = None

    def payload(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        kind = ERROR_TYPES.get(self.status, "api_error")
        return {
            "type": "error",
            "error": {"type": kind, "message": self.message or f"scripted {self.status}"},
        }


class Turn(_Strict):
    """One answer: a message (``content``) or an HTTP failure (``error``)."""

    content: list[dict[str, Any]] | None = None
    stop_reason: Literal["end_turn", "tool_use", "max_tokens", "stop_sequence"] | None = None
    usage: dict[str, int] | None = None
    error: Failure | None = None
    delay_s: float = Field(default=0, ge=0, le=60, description="Wait before answering")

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        if (self.content is None) == (self.error is None):
            raise ValueError("a turn has exactly one of 'content' or 'error'")
        for block in self.content or []:
            if block.get("type") not in ("text", "tool_use"):
                raise ValueError(f"unsupported content block type {block.get('type')!r}")
        return self


class Conversation(_Strict):
    name: str
    match: Match = Field(default_factory=Match)
    turns: list[Turn] = Field(min_length=1)


class Script(_Strict):
    conversations: list[Conversation]


def _inline_files(value: Any, base: Path) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$file"}:
            return (base / str(value["$file"])).read_text(encoding="utf-8")
        return {key: _inline_files(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_inline_files(item, base) for item in value]
    return value


def parse_script(raw: Any, *, base: Path | None = None) -> Script:
    """Validate a script given as data (a dict, or a bare list of conversations)."""
    if isinstance(raw, list):
        raw = {"conversations": raw}
    if base is not None:
        raw = _inline_files(raw, base)
    return Script.model_validate(raw)


def load_script(path: Path) -> Script:
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return parse_script(raw, base=path.parent)
