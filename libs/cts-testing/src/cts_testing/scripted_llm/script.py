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
      - content:
          - {type: thinking, thinking: "The tests compile now; I can stop."}
          - {type: text, text: "Done."}
```

A ``{"$file": path}`` value anywhere in a tool input is replaced by that file's text (relative
to the script), so long file contents need not be inlined.

Beyond plain replies a turn can end the way real replies end: ``stop_reason: max_tokens`` with
``cut_at`` (the last block stops after that many characters of its text or input JSON),
``pause_turn``, ``refusal`` (with ``stop_details``), ``model_context_window_exceeded``; fail
before answering (``error``) or in the middle of a stream (``error`` with ``after_blocks``);
wait before answering (``delay_s``), between stream events (``event_delay_s``) or once in the
middle of a stream (``stall``).
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
    after_blocks: int | None = Field(
        default=None,
        ge=0,
        description="Streamed requests: fail with an error event after this many content "
        "blocks of the turn's content (non-streamed requests get the HTTP status)",
    )

    def payload(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        kind = ERROR_TYPES.get(self.status, "api_error")
        return {
            "type": "error",
            "error": {"type": kind, "message": self.message or f"scripted {self.status}"},
        }


StopReason = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]
BLOCK_TYPES = ("text", "tool_use", "thinking", "redacted_thinking")


class Stall(_Strict):
    after_blocks: int = Field(ge=0)
    seconds: float = Field(gt=0, le=120)


class Turn(_Strict):
    """One answer: a message (``content``), an HTTP failure (``error``), or a stream that
    fails part-way (both, with ``error.after_blocks``)."""

    content: list[dict[str, Any]] | None = None
    stop_reason: StopReason | None = None
    stop_details: dict[str, Any] | None = None
    cut_at: int | None = Field(
        default=None, ge=0, description="Characters of the last block that are sent"
    )
    usage: dict[str, int] | None = None
    error: Failure | None = None
    delay_s: float = Field(default=0, ge=0, le=60, description="Wait before answering")
    event_delay_s: float = Field(default=0, ge=0, le=10, description="Between stream events")
    stall: Stall | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        mid_stream = self.error is not None and self.error.after_blocks is not None
        if mid_stream and self.content is None:
            raise ValueError("a turn that fails mid-stream needs the 'content' it streams first")
        if not mid_stream and (self.content is None) == (self.error is None):
            raise ValueError("a turn has exactly one of 'content' or 'error'")
        for block in self.content or []:
            if block.get("type") not in BLOCK_TYPES:
                raise ValueError(f"unsupported content block type {block.get('type')!r}")
        if self.cut_at is not None and not self.content:
            raise ValueError("'cut_at' needs content to cut")
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
