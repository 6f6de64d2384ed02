"""``python -m chapi.demo``: serve the demo pets API in the foreground."""

from __future__ import annotations

import argparse
import os
import sys

from .server import DemoServer


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m chapi.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=8000, help="port (0 picks a free one)"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("CHAPI_DEMO_TOKEN", "demo-token"),
        help="the bearer token (default: $CHAPI_DEMO_TOKEN or demo-token)",
    )
    args = parser.parse_args(argv)
    server = DemoServer(args.token, host=args.host, port=args.port)
    sys.stdout.write(
        f"chapi demo API on {server.base_url} (OpenAPI at /openapi.json)\n"
    )
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
