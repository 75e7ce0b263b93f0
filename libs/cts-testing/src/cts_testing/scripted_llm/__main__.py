"""``python -m cts_testing.scripted_llm --script <file> --port N``: the demo's model stand-in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cts_testing.scripted_llm.script import load_script
from cts_testing.scripted_llm.server import serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cts_testing.scripted_llm",
        description="Replay a scripted Claude conversation on POST /v1/messages.",
    )
    parser.add_argument("--script", type=Path, required=True, help="YAML or JSON script")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    script = load_script(args.script)
    names = ", ".join(c.name for c in script.conversations)
    print(f"scripted Messages API on http://{args.host}:{args.port} ({names})", file=sys.stderr)
    serve_forever(script, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
