"""The SDK adapter: the real ``AsyncAnthropic`` streaming from the scripted app (in-process, or on
a local port where timing matters): replies become params with thinking intact, the SDK retries
at most once, failures before and during a stream are mapped and key-free."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest

from cts_agent_runner.anthropic_model import AnthropicModel, redact
from cts_agent_runner.model import ModelFailure, ModelRequest
from cts_agent_runner.settings import AgentRunnerSettings
from cts_testing.scripted_llm import ScriptedLLM, parse_script, serve_in_thread

KEY = "sk-ant-api03-UNIT-TEST-SECRET-0123456789"
REQUEST = ModelRequest(
    model="claude-sonnet-5-5",
    system=[{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
    tools=[{"name": "list_files", "input_schema": {"type": "object"}}],
    messages=[{"role": "user", "content": [{"type": "text", "text": "Step: x\nhello"}]}],
    max_tokens=100,
    thinking={"type": "adaptive"},
)


def adapter(turns: list[dict[str, Any]], *, retries: int = 1) -> tuple[AnthropicModel, ScriptedLLM]:
    llm = ScriptedLLM(parse_script([{"name": "c", "turns": turns}]))
    settings = AgentRunnerSettings(
        anthropic_api_key=KEY, anthropic_base_url="http://scripted.invalid",
        anthropic_max_retries=retries,
    )  # fmt: skip
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=llm.app))
    return AnthropicModel(settings, http_client=client), llm


async def test_a_streamed_reply_becomes_params_with_its_thinking_and_usage() -> None:
    model, llm = adapter([{
        "content": [{"type": "thinking", "thinking": "List first."},
                    {"type": "redacted_thinking"},
                    {"type": "text", "text": "ok"},
                    {"type": "tool_use", "id": "toolu_1", "name": "list_files", "input": {}}],
        "usage": {"input_tokens": 11, "output_tokens": 7, "cache_read_input_tokens": 5,
                  "cache_creation_input_tokens": 3},
    }])  # fmt: skip
    reply = await model.create(REQUEST)
    await model.aclose()
    thinking, redacted, said, tool = reply.content
    assert (thinking["type"], thinking["thinking"]) == ("thinking", "List first.")
    assert len(thinking["signature"]) > 20
    assert redacted["type"] == "redacted_thinking"
    assert set(redacted) == {"type", "data"}
    assert said == {"type": "text", "text": "ok"}
    assert tool == {"type": "tool_use", "id": "toolu_1", "name": "list_files", "input": {}}
    assert (reply.stop_reason, reply.model) == ("tool_use", "claude-sonnet-5-5")
    assert (reply.usage.input, reply.usage.output) == (11, 7)
    assert (reply.usage.cache_read, reply.usage.cache_write) == (5, 3)
    sent = llm.requests[0]
    assert sent["stream"] is True
    assert sent["body"]["thinking"] == {"type": "adaptive"}
    assert sent["headers"]["authorization"] == "[redacted]"


async def test_a_refusal_brings_its_details() -> None:
    details = {"type": "refusal", "category": "cyber", "explanation": "not this"}
    model, _ = adapter([{"content": [{"type": "text", "text": "No."}], "stop_reason": "refusal",
                         "stop_details": details}])  # fmt: skip
    reply = await model.create(REQUEST)
    assert (reply.stop_reason, reply.stop_details) == ("refusal", details)


async def test_a_rate_limit_is_retried_once_by_the_sdk() -> None:
    model, llm = adapter([
        {"error": {"status": 429, "headers": {"retry-after-ms": "1"}}},
        {"content": [{"type": "text", "text": "second time lucky"}]},
    ])  # fmt: skip
    reply = await model.create(REQUEST)
    assert reply.content == [{"type": "text", "text": "second time lucky"}]
    assert [r["status"] for r in llm.requests] == [429, 200]
    assert llm.requests[0]["body"] == llm.requests[1]["body"]


@pytest.mark.parametrize("status", [429, 500, 529])
async def test_retryable_statuses_become_transient_after_one_retry(status: int) -> None:
    overloaded = {"error": {"status": status, "headers": {"retry-after-ms": "1"},
                            "message": "busy"}}  # fmt: skip
    model, llm = adapter([overloaded] * 3)
    with pytest.raises(ModelFailure) as caught:
        await model.create(REQUEST)
    assert caught.value.transient
    assert caught.value.message.startswith(f"Anthropic API error {status} (")
    assert caught.value.message.endswith(": busy)")
    assert len(llm.requests) == 2


@pytest.mark.parametrize(("status", "kind"), [(529, "overloaded_error"), (500, "api_error")])
async def test_an_error_event_in_the_middle_of_a_stream_is_transient_and_not_retried(
    status: int, kind: str
) -> None:
    midway = {"content": [{"type": "text", "text": "Writing the"}],
              "error": {"status": status, "after_blocks": 1, "message": "Overloaded"},
              "usage": {"input_tokens": 900, "cache_read_input_tokens": 100}}  # fmt: skip
    model, llm = adapter([midway, {"content": [{"type": "text", "text": "unused"}]}])
    with pytest.raises(ModelFailure) as caught:
        await model.create(REQUEST)
    assert caught.value.transient
    assert caught.value.message == f"Anthropic API error during the reply ({kind}: Overloaded)"
    assert (caught.value.usage.input, caught.value.usage.cache_read) == (900, 100)
    assert len(llm.requests) == 1, "a generation that started is not silently paid for twice"


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "invalid_request_error"), (401, "authentication_error")]
)
async def test_client_errors_are_not_retried_and_never_carry_the_key(
    status: int, kind: str
) -> None:
    echoed = {"error": {"status": status, "message": f"invalid x-api-key {KEY}"}}
    model, llm = adapter([echoed, echoed])
    with pytest.raises(ModelFailure) as caught:
        await model.create(REQUEST)
    assert not caught.value.transient
    assert caught.value.message == (
        f"Anthropic API error {status} ({kind}: invalid x-api-key [redacted])"
    )
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert len(llm.requests) == 1


async def test_a_slow_stream_lives_but_a_silent_one_times_out_on_its_idle_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_text = {"type": "text", "text": "word " * 200}
    script = parse_script([{"name": "c", "turns": [
        # About 1.6 s in all, never more than 0.1 s without an event: no total timeout applies.
        {"content": [long_text], "event_delay_s": 0.1},
        {"content": [{"type": "text", "text": "a"}, long_text],
         "stall": {"after_blocks": 1, "seconds": 5}},
    ]}])  # fmt: skip
    with serve_in_thread(script) as server:
        settings = AgentRunnerSettings(
            anthropic_api_key=KEY, anthropic_base_url=server.base_url, anthropic_max_retries=0,
            anthropic_idle_timeout_s=1.0, agent_progress_interval_s=0.5,
        )  # fmt: skip
        model = AnthropicModel(settings)
        try:
            started = time.monotonic()
            reply = await model.create(REQUEST)
            assert time.monotonic() - started > 1.0
            assert reply.content == [long_text]
            logged = capsys.readouterr()
            assert "model reply streaming" in logged.out + logged.err
            assert "approx_output_tokens" in logged.out + logged.err
            started = time.monotonic()
            with pytest.raises(ModelFailure) as caught:
                await model.create(REQUEST)
            assert time.monotonic() - started < 4
        finally:
            await model.aclose()
    assert caught.value.transient
    assert caught.value.message == "the Anthropic API sent nothing for 1 s"


async def test_an_unreachable_api_is_transient() -> None:
    settings = AgentRunnerSettings(anthropic_api_key=KEY, anthropic_base_url="http://127.0.0.1:9",
                                   anthropic_max_retries=0)  # fmt: skip
    with pytest.raises(ModelFailure) as caught:
        await AnthropicModel(settings).create(REQUEST)
    assert (caught.value.transient, caught.value.message) == (
        True,
        "the Anthropic API is unreachable",
    )


async def test_without_a_key_or_base_url_nothing_is_sent() -> None:
    settings = AgentRunnerSettings(anthropic_api_key=None, anthropic_base_url=None)
    with pytest.raises(ModelFailure, match="no Anthropic API key") as caught:
        await AnthropicModel(settings).create(REQUEST)
    assert not caught.value.transient


def test_redaction_removes_the_key_and_anything_shaped_like_one() -> None:
    assert redact(f"a {KEY} b", KEY) == "a [redacted] b"
    assert redact("x sk-ant-admin01-abcdefghijkl y") == "x [redacted] y"
    assert redact("nothing secret", None) == "nothing secret"
