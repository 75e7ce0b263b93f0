"""The scripted Messages-API server in-process (ASGI, no sockets): replay, selection, checks
like the real API's, cache emulation, recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from cts_testing.scripted_llm import SCRIPTED_HEADER, ScriptedLLM, load_script, parse_script

USER = {"role": "user", "content": "Step: generate_tests_and_fixtures\nMyApp.Accounts.Thing"}


def body(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test-1", "max_tokens": 50, "messages": list(messages) or [USER],
            **extra}  # fmt: skip


async def post(llm: ScriptedLLM, payload: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=llm.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scripted") as client:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return await client.post("/v1/messages", content=raw,
                                 headers={"x-api-key": "secret-key"})  # fmt: skip


def server(*conversations: dict[str, Any]) -> ScriptedLLM:
    return ScriptedLLM(parse_script(list(conversations)))


async def test_a_turn_is_replayed_as_a_message_that_says_it_is_scripted() -> None:
    llm = server({"name": "c", "turns": [{"content": [
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "name": "read_file", "input": {"path": "a.md"}},
    ]}]})  # fmt: skip
    response = await post(llm, body())
    message = response.json()
    assert response.status_code == 200
    assert response.headers[SCRIPTED_HEADER] == "1"
    assert (message["type"], message["role"], message["model"]) == (
        "message",
        "assistant",
        "claude-test-1",
    )
    assert message["stop_reason"] == "tool_use"
    tool_use = message["content"][1]
    assert tool_use["id"].startswith("toolu_scripted_")
    assert tool_use["input"] == {"path": "a.md"}
    assert set(message["usage"]) >= {
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    }


async def test_conversations_are_chosen_by_first_message_and_step_with_cursors() -> None:
    llm = server(
        {"name": "other", "match": {"contains": "MyApp.Other"}, "turns": [{"content": [
            {"type": "text", "text": "other"}]}]},
        {"name": "fix", "match": {"contains": "Thing", "step": "fix_compilation_errors"},
         "turns": [{"content": [{"type": "text", "text": "fixing"}]}]},
        {"name": "gen", "match": {"contains": "Thing", "step": "generate_tests_and_fixtures"},
         "turns": [{"content": [{"type": "text", "text": "gen 1"}]},
                   {"content": [{"type": "text", "text": "gen 2"}]}]},
    )  # fmt: skip
    first = await post(llm, body())
    second = await post(llm, body())
    fix = body(USER, {"role": "assistant", "content": "ok"},
               {"role": "user", "content": "Step: fix_compilation_errors\nerrors"})  # fmt: skip
    third = await post(llm, fix)
    exhausted = await post(llm, body())
    texts = [r.json()["content"][0]["text"] for r in (first, second, third)]
    assert texts == ["gen 1", "gen 2", "fixing"]
    assert exhausted.status_code == 400
    assert exhausted.headers["x-should-retry"] == "false"
    assert "no scripted turn left" in exhausted.json()["error"]["message"]
    assert [(r["conversation"], r["turn"]) for r in llm.requests] == [
        ("gen", 0),
        ("gen", 1),
        ("fix", 0),
        (None, None),
    ]
    assert llm.remaining() == {"other": 1, "fix": 0, "gen": 0}


async def test_an_error_turn_is_an_api_error_with_its_headers() -> None:
    llm = server({"name": "c", "turns": [
        {"error": {"status": 529, "headers": {"retry-after": "3"}}},
        {"error": {"status": 418, "body": {"custom": True}}},
    ]})  # fmt: skip
    overloaded = await post(llm, body())
    teapot = await post(llm, body())
    assert overloaded.status_code == 529
    assert overloaded.headers["retry-after"] == "3"
    assert overloaded.json() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "scripted 529"},
    }
    assert (teapot.status_code, teapot.json()) == (418, {"custom": True})


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([{"role": "assistant", "content": "hi"}], "expected role 'user'"),
        ([USER, {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
          {"role": "user", "content": "no result"}], "tool_use ids without a tool_result"),
        ([USER, {"role": "assistant", "content": "hi"}, {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "nope", "content": "x"}]}],
         "tool_result for an unknown tool_use id"),
        ([USER, {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
          {"role": "user", "content": [{"type": "text", "text": "first"},
                                       {"type": "tool_result", "tool_use_id": "t1"}]}],
         "tool_result blocks must come first"),
        ([{"role": "user", "content": [{"type": "text", "text": "x",
                                        "cache_control": {"type": "ephemeral"}}] * 5}],
         "at most 4 blocks may carry cache_control"),
        ([{"role": "user", "content": []}], "content must not be empty"),
    ],
)  # fmt: skip
async def test_requests_the_real_api_would_refuse_are_refused(
    messages: list[dict[str, Any]], problem: str
) -> None:
    llm = server({"name": "c", "turns": [{"content": [{"type": "text", "text": "x"}]}]})
    response = await post(llm, body(*messages))
    assert response.status_code == 400
    assert problem in response.json()["error"]["message"]
    assert llm.remaining() == {"c": 1}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"{nope", "Expecting property name"),
        ({"max_tokens": 5, "messages": [USER]}, "model: a model name is required"),
        ({"model": "m", "messages": [USER]}, "max_tokens: a positive integer"),
        ({"model": "m", "max_tokens": 5, "messages": []}, "at least one message"),
        ({"model": "m", "max_tokens": 5, "messages": [USER], "stream": "yes"}, "stream: a boolean"),
        ({"model": "m", "max_tokens": 5, "messages": [USER], "thinking": {"type": "on"}},
         "thinking.type"),
        ({"model": "m", "max_tokens": 2000, "messages": [USER],
          "thinking": {"type": "enabled", "budget_tokens": 4000}}, "greater than"),
        ({"model": "m", "max_tokens": 5, "messages": [USER], "tools": [{"name": "x"}]},
         "input_schema"),
    ],
)  # fmt: skip
async def test_malformed_bodies_are_refused(payload: Any, problem: str) -> None:
    llm = server({"name": "c", "turns": [{"content": [{"type": "text", "text": "x"}]}]})
    response = await post(llm, payload)
    assert response.status_code == 400
    assert problem in response.json()["error"]["message"]


async def test_prompt_caching_is_emulated_per_prefix() -> None:
    llm = server({"name": "c", "turns": [{"content": [{"type": "text", "text": "x"}]}] * 3})
    system = [{"type": "text", "text": "s" * 4000, "cache_control": {"type": "ephemeral"}}]
    first = (await post(llm, body(system=system))).json()["usage"]
    second = (await post(llm, body(system=system))).json()["usage"]
    longer = body(USER, {"role": "assistant", "content": "ok"},
                  {"role": "user", "content": [{"type": "text", "text": "more",
                                                "cache_control": {"type": "ephemeral"}}]},
                  system=system)  # fmt: skip
    third = (await post(llm, longer)).json()["usage"]
    assert first["cache_creation_input_tokens"] >= 1000
    assert first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    assert third["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert 0 < third["cache_creation_input_tokens"] < 100


async def test_requests_are_recorded_with_secrets_redacted_and_can_be_listed() -> None:
    llm = server({"name": "c", "turns": [{"content": [{"type": "text", "text": "x"}]}]})
    await post(llm, body())
    transport = httpx.ASGITransport(app=llm.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scripted") as client:
        listed = (await client.get("/_requests")).json()
        assert (await client.delete("/_requests")).status_code == 204
        assert (await client.get("/_requests")).json() == []
        health = (await client.get("/_health")).json()
    assert listed[0]["headers"]["x-api-key"] == "[redacted]"
    assert listed[0]["body"]["messages"] == [USER]
    assert "secret-key" not in json.dumps(listed)
    assert health == {"scripted": True, "remaining": {"c": 0}}


def test_scripts_load_from_yaml_and_json_with_file_contents(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "t.exs").write_text("defmodule T do\nend\n")
    (tmp_path / "s.yaml").write_text(
        "conversations:\n  - name: g\n    turns:\n      - content:\n"
        "          - {type: tool_use, name: write_file,"
        " input: {path: t.exs, content: {$file: files/t.exs}}}\n"
    )
    (tmp_path / "s.json").write_text(
        json.dumps([{"name": "j", "turns": [{"error": {"status": 500}}]}])
    )
    loaded = load_script(tmp_path / "s.yaml")
    block = loaded.conversations[0].turns[0].content
    assert block is not None
    assert block[0]["input"]["content"] == "defmodule T do\nend\n"
    assert load_script(tmp_path / "s.json").conversations[0].name == "j"


@pytest.mark.parametrize(
    "turn",
    [{}, {"content": [], "error": {"status": 500}}, {"content": [{"type": "image"}]},
     {"error": {"status": 200}}, {"error": {"status": 529, "after_blocks": 1}},
     {"error": {"status": 500}, "cut_at": 3}],
)  # fmt: skip
def test_a_malformed_turn_is_refused_when_loading(turn: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_script([{"name": "c", "turns": [turn]}])


async def test_a_moving_breakpoint_reads_the_previous_turns_prefix() -> None:
    llm = server({"name": "c", "turns": [{"content": [{"type": "text", "text": "x"}]}] * 2})
    marked = {"type": "text", "text": "q" * 4000, "cache_control": {"type": "ephemeral"}}
    first = (await post(llm, body({"role": "user", "content": [marked]}))).json()["usage"]
    plain = {k: v for k, v in marked.items() if k != "cache_control"}
    grown = body(
        {"role": "user", "content": [plain]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "next",
                                      "cache_control": {"type": "ephemeral"}}]},
    )  # fmt: skip
    second = (await post(llm, grown)).json()["usage"]
    assert first["cache_creation_input_tokens"] >= 1000
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert 0 < second["cache_creation_input_tokens"] < 20
    assert second["input_tokens"] == 3
