"""The demo's way of running the scripted server: ``python -m cts_testing.scripted_llm`` as its
own process, answering the real SDK over HTTP, stopped by pid."""

from __future__ import annotations

import time
from pathlib import Path

import anthropic
import httpx

from cts_testing.network import free_port
from cts_testing.processes import ServiceProcess
from cts_testing.scripted_llm import SCRIPTED_HEADER

SCRIPT = """\
conversations:
  - name: hello
    match: {contains: "MyApp.Hello"}
    turns:
      - content:
          - {type: tool_use, name: write_file,
             input: {path: test/hello_test.exs, content: {$file: files/hello_test.exs}}}
"""


def wait_until_healthy(url: str, process: ServiceProcess, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.alive(), process.log_tail()
        try:
            if httpx.get(f"{url}/_health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the scripted server did not answer: {process.log_tail()}")


async def test_the_entry_point_serves_a_script_file_to_the_real_sdk(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "hello_test.exs").write_text("defmodule HelloTest do\nend\n")
    script = tmp_path / "script.yaml"
    script.write_text(SCRIPT)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = ServiceProcess(
        "cts_testing.scripted_llm", {}, tmp_path / "llm.log",
        args=["--script", str(script), "--port", str(port)],
    ).start()  # fmt: skip
    try:
        wait_until_healthy(url, process)
        client = anthropic.AsyncAnthropic(api_key="any-placeholder", base_url=url, max_retries=0)
        raw = await client.messages.with_raw_response.create(
            model="claude-sonnet-5-5", max_tokens=100,
            messages=[{"role": "user", "content": "Component MyApp.Hello"}],
        )  # fmt: skip
        message = await raw.parse()
        await client.close()
    finally:
        process.stop()
    assert raw.headers[SCRIPTED_HEADER] == "1"
    assert message.model == "claude-sonnet-5-5"
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use"
    assert block.input == {
        "path": "test/hello_test.exs",
        "content": "defmodule HelloTest do\nend\n",
    }
    assert not process.alive()
    assert "scripted Messages API on" in process.log_tail()
