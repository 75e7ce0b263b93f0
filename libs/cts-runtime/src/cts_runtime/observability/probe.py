"""Container health check without curl: ``python -m cts_runtime.observability.probe /readyz``.

Exits 0 when the service on ``CTS_HTTP_PORT`` answers 200 on the path, 1 otherwise. Used by the
image's HEALTHCHECK and docker-compose; Kubernetes calls the endpoints itself.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from cts_runtime.observability.serving import HttpSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default="/healthz", choices=["/healthz", "/readyz"])
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    port = HttpSettings().http_port or 8080
    url = f"http://127.0.0.1:{port}{args.path}"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{args.path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
