"""Run a command against a local environment's RDS database, as the API reaches it.

    python -m tools.localaws.rds.dbenv local -- python -m app create-user --email you@example.com

Reads the database tier's outputs (``outputs/<env>.json``: endpoint, port, name, master user,
master secret), fetches the master password from the local endpoint's Secrets Manager and runs
the command with ``DB_HOST``/``DB_PORT``/``DB_NAME``/``DB_USER``/``DB_SSLMODE`` and
``DB_PASSWORD`` in its environment (never on a command line). The local endpoint only: the
endpoint URL must be a loopback address.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.localaws.rds.dbenv [options] ENV -- COMMAND...", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("env", help="environment whose outputs/<env>.json names the database (e.g. local)")
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        help="the local AWS endpoint (default: AWS_ENDPOINT_URL or http://127.0.0.1:4566)",
    )
    parser.add_argument("--outputs-dir", default=str(ROOT / "outputs"), help="where <env>.json is (default outputs/)")
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("give the command to run after --")
    host = urlparse(args.endpoint).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        parser.error(f"--endpoint {args.endpoint} is not a loopback address: this helper is for the local endpoint")
    outputs = Path(args.outputs_dir) / f"{args.env}.json"
    try:
        database = json.loads(outputs.read_text())["database"]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"{outputs} has no database section ({exc}); converge the database tier first")
    if not database.get("endpoint"):
        parser.error(f"{outputs}: the database {database.get('identifier')} has no endpoint yet")
    import boto3  # noqa: PLC0415 (only when the arguments are good)

    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=args.endpoint,
        region_name=json.loads(outputs.read_text()).get("region", "us-east-1"),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (the local endpoint accepts any key)
    )
    secret = json.loads(secrets.get_secret_value(SecretId=database["master_secret_name"])["SecretString"])
    env = {
        **os.environ,
        "DB_HOST": str(database["endpoint"]),
        "DB_PORT": str(database["port"]),
        "DB_NAME": str(database["name"]),
        "DB_USER": str(database["master_username"]),
        "DB_SSLMODE": "require",
        "DB_PASSWORD": str(secret["password"]),
    }
    env.pop("DATABASE_URL", None)
    os.execvpe(command[0], command, env)  # noqa: S606 (the operator's own command)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
