"""A scripted Messages-API server: the real ``anthropic`` SDK talks to it through ``base_url``
and gets replayed tool-use turns. It is clearly a replay: every response carries the header
``x-cts-scripted: 1`` and echoes the requested model name."""

from cts_testing.scripted_llm.app import SCRIPTED_HEADER, ScriptedLLM
from cts_testing.scripted_llm.script import (
    STEP_MARKER,
    Conversation,
    Failure,
    Match,
    Script,
    Turn,
    load_script,
    parse_script,
)
from cts_testing.scripted_llm.server import RunningServer, serve_forever, serve_in_thread

__all__ = [
    "SCRIPTED_HEADER",
    "STEP_MARKER",
    "Conversation",
    "Failure",
    "Match",
    "RunningServer",
    "Script",
    "ScriptedLLM",
    "Turn",
    "load_script",
    "parse_script",
    "serve_forever",
    "serve_in_thread",
]
