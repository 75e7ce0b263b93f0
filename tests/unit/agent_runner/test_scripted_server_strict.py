"""The scripted server as strict as the API: it streams (SSE) or answers whole, signs its thinking
and refuses, with the API's words, a request that drops or alters a thinking block or what came
before it; it cuts replies, pauses, refuses and fails mid-stream on cue."""

from __future__ import annotations

import json
from typing import Any

import httpx

from cts_testing.scripted_llm import ScriptedLLM, parse_script

USER = {"role": "user", "content": "Step: generate_tests_and_fixtures\nMyApp.Accounts.Thing"}
THINKS_AND_READS = {"content": [
    {"type": "thinking", "thinking": "The design comes first."},
    {"type": "text", "text": "Reading."},
    {"type": "tool_use", "id": "toolu_r", "name": "read_file", "input": {"path": "a.md"}},
]}  # fmt: skip
DONE = {"content": [{"type": "text", "text": "Done."}]}


def server(*turns: dict[str, Any]) -> ScriptedLLM:
    return ScriptedLLM(parse_script([{"name": "c", "turns": list(turns)}]))


def body(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test-1", "max_tokens": 500, "messages": list(messages) or [USER],
            **extra}  # fmt: skip


async def post(llm: ScriptedLLM, payload: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=llm.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scripted") as client:
        return await client.post("/v1/messages", json=payload, headers={"x-api-key": "k"})


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    parsed = []
    for chunk in response.text.strip().split("\n\n"):
        name, data = chunk.split("\n", 1)
        parsed.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return parsed


def answered(reply: dict[str, Any], **changes: Any) -> list[dict[str, Any]]:
    """The conversation after ``reply``, its tool answered; ``changes`` alter the reply."""
    content = [dict(block) for block in reply["content"]]
    for index, block in changes.items():
        content[int(index.removeprefix("b"))] = block
    content = [block for block in content if block is not None]
    result = {"type": "tool_result", "tool_use_id": "toolu_r", "content": "# A"}
    return [USER, {"role": "assistant", "content": content},
            {"role": "user", "content": [result]}]  # fmt: skip


async def test_a_streamed_reply_sends_the_apis_events_in_order() -> None:
    llm = server(THINKS_AND_READS)
    response = await post(llm, body(stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    seen = events(response)
    names = [name for name, _ in seen]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    deltas = [data["delta"]["type"] for name, data in seen if name == "content_block_delta"]
    assert deltas == ["thinking_delta", "signature_delta", "text_delta", "input_json_delta"]
    assert seen[0][1]["message"]["usage"]["output_tokens"] == 1
    assert seen[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert seen[-2][1]["usage"]["output_tokens"] > 1
    assert llm.requests[0]["stream"] is True


async def test_a_reply_sent_back_unchanged_is_accepted() -> None:
    llm = server(THINKS_AND_READS, DONE)
    reply = (await post(llm, body())).json()
    assert reply["content"][0]["signature"]
    response = await post(llm, body(*answered(reply)))
    assert response.status_code == 200, response.text


async def test_dropping_the_thinking_of_an_open_tool_cycle_is_refused() -> None:
    llm = server(THINKS_AND_READS, DONE)
    reply = (await post(llm, body())).json()
    response = await post(llm, body(*answered(reply, b0=None)))
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. "
        "When `thinking` is enabled, a final `assistant` message must start with a thinking block"
    )
    assert llm.remaining() == {"c": 1}


async def test_altering_a_thinking_block_is_refused() -> None:
    llm = server(THINKS_AND_READS, DONE)
    reply = (await post(llm, body())).json()
    altered = {**reply["content"][0], "thinking": "The design comes first!"}
    response = await post(llm, body(*answered(reply, b0=altered)))
    assert response.json()["error"]["message"] == (
        "messages.1.content.0: `thinking` or `redacted_thinking` blocks in the latest assistant "
        "message cannot be modified. These blocks must remain as they were in the original "
        "response."
    )
    forged: list[dict[str, Any]] = [
        USER,
        {"role": "assistant", "content": [altered, {"type": "text", "text": "x"}]},
        {"role": "user", "content": "go on"},
    ]
    older = body(*forged, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "?"})
    assert (await post(llm, older)).json()["error"]["message"] == (
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    )


async def test_changing_what_came_before_a_thinking_block_is_refused() -> None:
    llm = server(THINKS_AND_READS, DONE)
    reply = (await post(llm, body())).json()
    conversation = answered(reply)
    conversation[0] = {"role": "user", "content": USER["content"] + " (edited)"}
    response = await post(llm, body(*conversation))
    assert response.status_code == 400
    assert "differ from the request that produced it" in response.json()["error"]["message"]
    # A cache breakpoint is not content: moving it changes nothing.
    marked = answered(reply)
    marked[0] = {"role": "user", "content": [{"type": "text", "text": USER["content"],
                                              "cache_control": {"type": "ephemeral"}}]}  # fmt: skip
    assert (await post(llm, body(*marked))).status_code == 200


async def test_thinking_stripped_from_ended_turns_is_fine() -> None:
    llm = server(THINKS_AND_READS, DONE, DONE)
    reply = (await post(llm, body())).json()
    ended = [*answered(reply), {"role": "assistant", "content": "Done."}]
    stripped = [ended[0], {"role": "assistant", "content": reply["content"][1:]}, *ended[2:]]
    response = await post(llm, body(*stripped, {"role": "user", "content": "Next step"}))
    assert response.status_code == 200, response.text


async def test_a_reply_cut_mid_tool_call_has_a_partial_input_and_no_stop() -> None:
    full = {"path": "t.exs", "content": "defmodule T do\n  test"}
    cut = {"content": [{"type": "tool_use", "name": "write_file", "input": full}],
           "stop_reason": "max_tokens", "cut_at": 40}  # fmt: skip
    llm = server(cut, cut)
    whole = (await post(llm, body())).json()
    assert whole["stop_reason"] == "max_tokens"
    assert whole["content"][0]["input"] == {"path": "t.exs", "content": "defmodule "}
    streamed = events(await post(llm, body(stream=True)))
    partial = "".join(d["delta"]["partial_json"] for n, d in streamed
                      if n == "content_block_delta")  # fmt: skip
    assert partial == json.dumps(full)[:40] == '{"path": "t.exs", "content": "defmodule '
    assert streamed[-2][1]["delta"]["stop_reason"] == "max_tokens"


async def test_a_stream_can_fail_part_way_and_a_refusal_has_details() -> None:
    failing = {"content": [{"type": "text", "text": "Half"}, {"type": "text", "text": "more"}],
               "error": {"status": 529, "after_blocks": 1, "message": "Overloaded"}}  # fmt: skip
    refusal = {"content": [{"type": "text", "text": "No."}], "stop_reason": "refusal",
               "stop_details": {"type": "refusal", "category": "cyber"}}  # fmt: skip
    llm = server(failing, failing, refusal)
    streamed = await post(llm, body(stream=True))
    assert streamed.status_code == 200
    names = [name for name, _ in events(streamed)]
    assert names[-2:] == ["content_block_stop", "error"]
    assert events(streamed)[-1][1] == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    whole = await post(llm, body())
    assert whole.status_code == 529
    refused = (await post(llm, body())).json()
    assert (refused["stop_reason"], refused["stop_details"]["category"]) == ("refusal", "cyber")


async def test_thinking_blocks_cannot_carry_a_cache_breakpoint() -> None:
    llm = server(THINKS_AND_READS, DONE)
    reply = (await post(llm, body())).json()
    marked = {**reply["content"][0], "cache_control": {"type": "ephemeral"}}
    response = await post(llm, body(*answered(reply, b0=marked)))
    assert "thinking blocks cannot carry cache_control" in response.json()["error"]["message"]
