"""``POST /v1/messages`` answered from a script, enough of the Messages API for the real SDK:
streamed (server-sent events) when the request says ``stream``, one JSON message otherwise.

Every request is recorded (``GET /_requests``, or ``ScriptedLLM.requests`` in-process) so a
test can assert on exactly what the client sent. Each conversation keeps a cursor: a request
takes the next turn of the first conversation that matches it and has turns left, so an SDK
retry after a scripted 429 takes the turn after the 429.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cts_testing.scripted_llm.reply import ReplyBuilder
from cts_testing.scripted_llm.request_checks import InvalidRequest, check_request, user_texts
from cts_testing.scripted_llm.script import STEP_MARKER, Conversation, Failure, Script, Turn
from cts_testing.scripted_llm.sse import stream
from cts_testing.scripted_llm.thinking import ThinkingLedger

SCRIPTED_HEADER = "x-cts-scripted"
_SECRET_HEADERS = ("x-api-key", "authorization")


def _matches(conversation: Conversation, texts: list[str]) -> bool:
    """``texts``: the request's user texts (``user_texts``), parsed once per request: a
    script of many conversations is matched against every request."""
    match = conversation.match
    if match.contains is not None and (not texts or match.contains not in texts[0]):
        return False
    if match.step is None:
        return True
    # The latest step prompt, not the latest text: a client's own notes (a reply was cut off,
    # the conversation was compacted) come after it within the same step.
    prompts = [text for text in texts if STEP_MARKER.format(step="") in text]
    return bool(prompts) and STEP_MARKER.format(step=match.step) in prompts[-1]


class ScriptedLLM:
    """The replaying server's state and its ASGI app (``.app``)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._cursors = [0] * len(script.conversations)
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._replies = ReplyBuilder()
        self._ledger = ThinkingLedger()
        self.app = Starlette(
            routes=[
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/_requests", self._list_requests, methods=["GET"]),
                Route("/_requests", self._clear_requests, methods=["DELETE"]),
                Route("/_health", self._health, methods=["GET"]),
            ]
        )

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def remaining(self) -> dict[str, int]:
        """Turns not yet played, by conversation name (a test's "all used" check)."""
        with self._lock:
            return {
                c.name: len(c.turns) - cursor
                for c, cursor in zip(self.script.conversations, self._cursors, strict=True)
            }

    def _take_turn(self, body: dict[str, Any]) -> tuple[Conversation, int, Turn] | None:
        texts = user_texts(body)
        with self._lock:
            for index, conversation in enumerate(self.script.conversations):
                cursor = self._cursors[index]
                if cursor < len(conversation.turns) and _matches(conversation, texts):
                    self._cursors[index] += 1
                    return conversation, cursor, conversation.turns[cursor]
        return None

    def _record(self, request: Request, body: Any, **outcome: Any) -> int:
        headers = {
            name: ("[redacted]" if name in _SECRET_HEADERS else value)
            for name, value in request.headers.items()
        }
        with self._lock:
            self._requests.append({"headers": headers, "body": body, **outcome})
            return len(self._requests)

    def _error(self, number: int, failure: Failure) -> Response:
        headers = {SCRIPTED_HEADER: "1", "request-id": f"req_scripted_{number}"}
        headers.update(failure.headers)
        return JSONResponse(failure.payload(), status_code=failure.status, headers=headers)

    async def _messages(self, request: Request) -> Response:
        try:
            body = check_request(json.loads(await request.body()))
            self._ledger.check(body)
        except (ValueError, InvalidRequest) as exc:
            number = self._record(request, None, status=400, conversation=None, turn=None)
            refusal = Failure(status=400, message=str(exc), headers={"x-should-retry": "false"})
            return self._error(number, refusal)
        taken = self._take_turn(body)
        if taken is None:
            number = self._record(request, body, status=400, conversation=None, turn=None)
            refusal = Failure(
                status=400,
                message="scripted server: no scripted turn left that matches this request",
                headers={"x-should-retry": "false"},
            )
            return self._error(number, refusal)
        conversation, index, turn = taken
        streamed = bool(body.get("stream"))
        fails_first = turn.error is not None and (turn.error.after_blocks is None or not streamed)
        status = turn.error.status if fails_first and turn.error else 200
        number = self._record(request, body, status=status, conversation=conversation.name,
                              turn=index, stream=streamed)  # fmt: skip
        if turn.delay_s:
            await asyncio.sleep(turn.delay_s)
        if fails_first and turn.error is not None:
            return self._error(number, turn.error)
        reply = self._replies.build(body, turn)
        self._ledger.record(reply.message["content"])
        with self._lock:
            self._requests[number - 1]["usage"] = reply.message["usage"]
        headers = {SCRIPTED_HEADER: "1", "request-id": f"req_scripted_{number}"}
        if streamed:
            return StreamingResponse(stream(reply, turn), media_type="text/event-stream",
                                     headers=headers)  # fmt: skip
        return JSONResponse(reply.message, headers=headers)

    async def _list_requests(self, request: Request) -> Response:
        return JSONResponse(self.requests, headers={SCRIPTED_HEADER: "1"})

    async def _clear_requests(self, request: Request) -> Response:
        with self._lock:
            self._requests.clear()
        return Response(status_code=204, headers={SCRIPTED_HEADER: "1"})

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"scripted": True, "remaining": self.remaining()})
