"""The SDK adapter: the real ``AsyncAnthropic`` against the scripted app in-process (no sockets):
replies become params, the SDK retries what it should, failures are mapped and key-free."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from cts_agent_runner.anthropic_model import AnthropicModel, redact
from cts_agent_runner.model import ModelFailure, ModelRequest
from cts_agent_runner.settings import AgentRunnerSettings
from cts_testing.scripted_llm import ScriptedLLM, parse_script

KEY = "sk-ant-api03-UNIT-TEST-SECRET-0123456789"
REQUEST = ModelRequest(
    model="claude-sonnet-5-5",
    system=[{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
    tools=[{"name": "list_files", "input_schema": {"type": "object"}}],
    messages=[{"role": "user", "content": [{"type": "text", "text": "Step: x\nhello"}]}],
    max_tokens=100,
)


def adapter(turns: list[dict[str, Any]], *, retries: int = 2) -> tuple[AnthropicModel, ScriptedLLM]:
    llm = ScriptedLLM(parse_script([{"name": "c", "turns": turns}]))
    settings = AgentRunnerSettings(
        anthropic_api_key=KEY, anthropic_base_url="http://scripted.invalid",
        anthropic_max_retries=retries,
    )  # fmt: skip
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=llm.app))
    return AnthropicModel(settings, http_client=client), llm


async def test_a_reply_becomes_params_and_usage() -> None:
    model, llm = adapter([{
        "content": [{"type": "text", "text": "ok"},
                    {"type": "tool_use", "id": "toolu_1", "name": "list_files", "input": {}}],
        "usage": {"input_tokens": 11, "output_tokens": 7, "cache_read_input_tokens": 5,
                  "cache_creation_input_tokens": 3},
    }])  # fmt: skip
    reply = await model.create(REQUEST)
    await model.aclose()
    assert reply.content == [
        {"type": "text", "text": "ok"},
        {"type": "tool_use", "id": "toolu_1", "name": "list_files", "input": {}},
    ]
    assert (reply.stop_reason, reply.model) == ("tool_use", "claude-sonnet-5-5")
    assert (reply.usage.input, reply.usage.output) == (11, 7)
    assert (reply.usage.cache_read, reply.usage.cache_write) == (5, 3)
    assert llm.requests[0]["headers"]["authorization"] == "[redacted]"


async def test_a_rate_limit_is_retried_by_the_sdk() -> None:
    model, llm = adapter([
        {"error": {"status": 429, "headers": {"retry-after-ms": "1"}}},
        {"content": [{"type": "text", "text": "second time lucky"}]},
    ])  # fmt: skip
    reply = await model.create(REQUEST)
    assert reply.content == [{"type": "text", "text": "second time lucky"}]
    assert [r["status"] for r in llm.requests] == [429, 200]
    assert llm.requests[0]["body"] == llm.requests[1]["body"]


@pytest.mark.parametrize("status", [429, 500, 529])
async def test_retryable_statuses_become_transient_after_the_retries(status: int) -> None:
    overloaded = {"error": {"status": status, "headers": {"retry-after-ms": "1"},
                            "message": "busy"}}  # fmt: skip
    model, llm = adapter([overloaded] * 3, retries=2)
    with pytest.raises(ModelFailure) as caught:
        await model.create(REQUEST)
    assert caught.value.transient
    assert caught.value.message.startswith(f"Anthropic API error {status} (")
    assert caught.value.message.endswith(": busy)")
    assert len(llm.requests) == 3


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
