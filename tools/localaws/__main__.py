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
        epilog="Environment: LOCALAWS_RDS_PGBIN (PostgreSQL 15 binaries), LOCALAWS_RDS_DATA (where the RDS "
        "clusters live; default a temporary directory), LOCALAWS_RDS_RUN_AS (as root: the user the servers run as); "
        "LOCALAWS_APPRUNNER_COMMAND serves image-based App Runner services from a local "
        "command (e.g. 'uvicorn app.main:app --host 127.0.0.1 --port $PORT'); LOCALAWS_APPRUNNER_LOG_DIR holds "
        "their output. Control API: /_localaws/calls, /_localaws/faults, /_localaws/apprunner/handshake "
        "(see tools/localaws/README.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="port (default 4566)")
    parser.add_argument(
        "--apprunner-delay",
        type=float,
        default=2.0,
        help="seconds an App Runner operation stays OPERATION_IN_PROGRESS (default 2)",
    )
    parser.add_argument(
        "--rds-delay",
        type=float,
        default=0.0,
        help="seconds a new DB instance or snapshot stays 'creating' after its data is in place (default 0: "
        "amazon.aws waiters poll RDS every 60 s)",
    )
    parser.add_argument(
        "--rds-archive-timeout",
        type=float,
        default=5.0,
        help="seconds between WAL archivings of the local RDS clusters: how far LatestRestorableTime trails "
        "the present (default 5; AWS: typically within 5 minutes)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port (0-65535)")
    if args.apprunner_delay < 0:
        parser.error("--apprunner-delay must be >= 0")
    if args.rds_delay < 0:
        parser.error("--rds-delay must be >= 0")
    if not 1 <= args.rds_archive_timeout <= 3600:
        parser.error("--rds-archive-timeout must be between 1 and 3600 seconds")
    server = LocalAWS(args.host, args.port, args.apprunner_delay, args.rds_delay, args.rds_archive_timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def ready() -> None:
        print(f"localaws: listening on {server.url} (App Runner delay {args.apprunner_delay}s)", flush=True)
        print(
            "localaws: RDS DB instances are real PostgreSQL clusters on 127.x.y.z "
            f"(WAL archived every {args.rds_archive_timeout:g}s)",
            flush=True,
        )
        if os.environ.get("LOCALAWS_APPRUNNER_COMMAND"):
            print("localaws: App Runner services are served by LOCALAWS_APPRUNNER_COMMAND on 127.0.0.1", flush=True)

    try:
        server.serve_forever(on_ready=ready)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
