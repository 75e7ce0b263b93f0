"""A CTS client that never read CTS's code: the README, the committed JSON Schema and Kafka's
console tools are all it uses (no CTS module is imported; the last line it prints says so).

It takes the README's example request, points it at a repository, computes the session id
the README describes, validates the event against ``session.requested.v1.json``, publishes it
with the console producer keyed as the README says, and follows the session with the console
consumer until its ``session.finished``. One line per event on stdout; exit 0 when the
session completes, 1 when it does not, 2 when the README or the schema let it down.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

NAMESPACE = re.compile(r'uuid5\(([0-9a-f-]{36}), "<account_id>/<project_id>/<request_id>"\)')


def session_id(readme: str, data: dict[str, Any]) -> str:
    found = NAMESPACE.search(readme)
    if found is None:
        raise SystemExit("the README does not say how a session id is made")
    name = f"{data['account_id']}/{data['project_id']}/{data['request_id']}"
    return str(uuid.uuid5(uuid.UUID(found.group(1)), name))


def kafka_tool(lib: str, tool: str, *args: str) -> list[str]:
    return ["java", "-cp", f"{lib}/*", f"org.apache.kafka.tools.{tool}", *args]


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            out.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return out


def follow(
    consumer: subprocess.Popen[str], sid: str, within: float
) -> tuple[str | None, list[str]]:
    """Print the session's events; return its final status and any wrongly keyed event."""
    lines, wrong_keys = lines_of(consumer), []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            key, _, value = lines.get(timeout=1).rstrip("\n").partition("\t")
        except queue.Empty:
            continue
        try:
            event = json.loads(value)
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("subject") != sid:
            continue
        if key != sid:
            wrong_keys.append(f"{event.get('type')} keyed {key!r}")
        data = event.get("data") or {}
        kind = str(event.get("type", "")).removeprefix("dev.cts.").removesuffix(".v1")
        print(kind, data.get("step", ""), data.get("status", ""), flush=True)
        if kind == "session.finished":
            return str(data.get("status")), wrong_keys
    return None, wrong_keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("bootstrap", "readme", "schema", "request", "repo-url", "kafka-lib"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--topic-prefix", default="")
    parser.add_argument("--within", type=float, default=240)
    args = parser.parse_args()

    event = json.loads(Path(args.request).read_text())
    event["data"]["repository"]["url"] = args.repo_url
    sid = session_id(Path(args.readme).read_text(), event["data"])
    event["subject"] = sid
    schema = json.loads(Path(args.schema).read_text())
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(event)
    print("session", sid, flush=True)

    prefix = re.escape(args.topic_prefix)
    topics = "|".join(
        f"{prefix}{name}"
        for name in (r"cts\.(agent|tests|git)\.step-requested\.v1", r"cts\.step\.completed\.v1",
                     r"cts\.session\.finished\.v1")
    )  # fmt: skip
    consumer = subprocess.Popen(
        kafka_tool(args.kafka_lib, "consumer.ConsoleConsumer", "--bootstrap-server",
                   args.bootstrap, "--include", topics, "--from-beginning",
                   "--formatter-property", "print.key=true",
                   "--formatter-property", "key.separator=\t"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        subprocess.run(
            kafka_tool(args.kafka_lib, "ConsoleProducer", "--bootstrap-server", args.bootstrap,
                       "--topic", f"{args.topic_prefix}cts.session.requested.v1",
                       "--reader-property", "parse.key=true",
                       "--reader-property", "key.separator=|"),
            input=f"{sid}|{json.dumps(event, separators=(',', ':'))}\n",
            text=True, check=True, timeout=120,
        )  # fmt: skip
        status, wrong_keys = follow(consumer, sid, args.within)
    finally:
        consumer.terminate()
        consumer.wait(30)
    ours = sorted(name for name in sys.modules if name.split(".")[0].startswith("cts"))
    print("keys", wrong_keys or "ok")
    print("cts modules imported:", ours or "none")
    return 0 if status == "complete" and not wrong_keys and not ours else 1


if __name__ == "__main__":
    sys.exit(main())
