"""The replayed model conversations of the reliability suite: per session, what the scripted
model answers (a test that compiles, or one that sleeps so a crash can land mid-run)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from tests.reliability.harness import (
    FILES,
    FIXTURE_FILE,
    MARKER_ENV,
    TEST_FILE,
)


def slow_test_source() -> str:
    """The fixed test file with a ``setup_all`` that, only when the marker variable is set,
    writes the marker and sleeps: a window in which ``mix test`` is certainly running."""
    source = (FILES / "user_registration_test.fixed.exs").read_text()
    hook = (
        "  setup_all do\n"
        f'    if marker = System.get_env("{MARKER_ENV}") do\n'
        '      File.write!(marker, "mix test is running")\n'
        "      Process.sleep(20_000)\n"
        "    end\n\n"
        "    :ok\n"
        "  end\n\n"
    )
    anchor = "  setup do\n"
    assert anchor in source
    return source.replace(anchor, hook + anchor, 1)


def _generate_turns(test_source: str, *, delay_s: float = 0) -> list[dict[str, Any]]:
    return [
        {
            "delay_s": delay_s,
            "content": [
                {"type": "text", "text": "Reading the component design and its context."},
                {
                    "type": "tool_use",
                    "name": "read_file",
                    "input": {"path": "docs/design/my_app/accounts/user_registration.md"},
                },
                {
                    "type": "tool_use",
                    "name": "read_file",
                    "input": {"path": "docs/design/my_app/accounts.md"},
                },
            ],
        },
        {
            "content": [
                {
                    "type": "tool_use",
                    "name": "write_file",
                    "input": {
                        "path": FIXTURE_FILE,
                        "content": (FILES / "user_registration_fixtures.ex").read_text(),
                    },
                },
                {
                    "type": "tool_use",
                    "name": "write_file",
                    "input": {"path": TEST_FILE, "content": test_source},
                },
            ]
        },
        {"content": [{"type": "text", "text": "Wrote the fixtures and the tests."}]},
    ]


def replay_tag(session_id: str) -> str:
    """What a session's prompts carry for the scripted model to tell it from the others:
    prompts hold no ids, so the harness puts one in the component's description."""
    return f"(reliability replay {session_id})"


def _resumable_turns(test_source: str, *, delay_s: float) -> list[dict[str, Any]]:
    """Every turn but the last writes both files: a run killed at any call and resumed from
    its checkpoint by another replica ends with the files written, whichever turn it gets."""
    write = {
        "delay_s": delay_s,
        "content": [
            {"type": "tool_use", "name": "write_file",
             "input": {"path": FIXTURE_FILE,
                       "content": (FILES / "user_registration_fixtures.ex").read_text()}},
            {"type": "tool_use", "name": "write_file",
             "input": {"path": TEST_FILE, "content": test_source}},
        ],
    }  # fmt: skip
    done = {"delay_s": delay_s, "content": [{"type": "text", "text": "Wrote both files."}]}
    return [write, write, done]


def conversations_for(
    session_id: str,
    *,
    broken: bool = False,
    slow_tests: bool = False,
    generate_delay_s: float = 0,
    interrupted_call: bool = False,
    resumable: bool = False,
) -> list[dict[str, Any]]:
    """One session's replay, matched by its id (its request's component description carries
    ``replay_tag``, and the first prompt the description), so many sessions can run at once
    without taking each other's turns.

    ``broken``: the first generation does not compile and one fix repairs it (RED_WITH_FIX).
    ``interrupted_call``: the first model call of Generate is answered only after 60 s, by
    which time the test has killed the agent-runner; a fresh run takes the next conversation.
    ``resumable``: the agent-runner may be killed at any of Generate's calls (each turn after
    ``generate_delay_s``) and its run resumed elsewhere: the turns write the files again and
    again, and a spare last turn answers a resumed run whose "done" was lost with the kill.
    """
    fixed = (
        slow_test_source()
        if slow_tests
        else (FILES / "user_registration_test.fixed.exs").read_text()
    )
    first = (FILES / "user_registration_test.broken.exs").read_text() if broken else fixed
    match = {"contains": replay_tag(session_id)}
    conversations: list[dict[str, Any]] = []
    if interrupted_call:
        conversations.append(
            {
                "name": f"{session_id}:interrupted",
                "match": {**match, "step": "generate_tests_and_fixtures"},
                "turns": [
                    {"delay_s": 60, "content": [{"type": "text", "text": "never delivered"}]}
                ],
            }
        )
    generate = {**match, "step": "generate_tests_and_fixtures"}
    if resumable:
        assert not broken, "a resumable generation compiles the first time"
        turns = _resumable_turns(first, delay_s=generate_delay_s)
        conversations.append({"name": f"{session_id}:generate", "match": generate,
                              "turns": turns})  # fmt: skip
        conversations.append({"name": f"{session_id}:spare", "match": generate,
                              "turns": turns[-1:]})  # fmt: skip
        return conversations
    conversations.append(
        {
            "name": f"{session_id}:generate",
            "match": generate,
            "turns": _generate_turns(first, delay_s=generate_delay_s),
        }
    )
    if broken:
        conversations.append(
            {
                "name": f"{session_id}:fix",
                "match": {**match, "step": "fix_compilation_errors"},
                "turns": [
                    {
                        "content": [
                            {
                                "type": "tool_use",
                                "name": "write_file",
                                "input": {"path": TEST_FILE, "content": fixed},
                            }
                        ]
                    },
                    {"content": [{"type": "text", "text": "Fixed the helper call."}]},
                ],
            }
        )
    return conversations


def scripted_turns(conversations: Iterable[dict[str, Any]]) -> Counter[str]:
    return Counter({c["name"]: len(c["turns"]) for c in conversations})


# --- the services as processes ------------------------------------------------------------
