"""``python -m tools.localaws --port 4566 --apprunner-delay 2``: the local AWS endpoint."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from tools.localaws.server import LocalAWS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.localaws",
        description=__doc__,
        epilog="Environment: LOCALAWS_APPRUNNER_COMMAND serves image-based App Runner services from a local "
        "command (e.g. 'uvicorn app.main:app --host 127.0.0.1 --port $PORT'); LOCALAWS_APPRUNNER_LOG_DIR holds "
        "their output. Control API: /_localaws/calls, /_localaws/faults (see tools/localaws/README.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="port (default 4566)")
    parser.add_argument(
        "--apprunner-delay",
        type=float,
        default=2.0,
        help="seconds an App Runner operation stays OPERATION_IN_PROGRESS (default 2)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port (0-65535)")
    if args.apprunner_delay < 0:
        parser.error("--apprunner-delay must be >= 0")
    server = LocalAWS(args.host, args.port, args.apprunner_delay)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def ready() -> None:
        print(f"localaws: listening on {server.url} (App Runner delay {args.apprunner_delay}s)", flush=True)
        if os.environ.get("LOCALAWS_APPRUNNER_COMMAND"):
            print("localaws: App Runner services are served by LOCALAWS_APPRUNNER_COMMAND on 127.0.0.1", flush=True)

    try:
        server.serve_forever(on_ready=ready)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
