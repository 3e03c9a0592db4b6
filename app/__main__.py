"""Command line: ``python -m app serve | migrate | create-user | worker``.

``serve`` is the container's command: it applies pending migrations (safe when several
instances start at once: an advisory lock serialises them), then serves the API on
``$HOST:$PORT`` (default ``0.0.0.0:8000``) behind App Runner's TLS-terminating proxy.

create-user never takes the password as an argument by default: it reads it from
``--password-stdin``, the ``INVOICE_ADMIN_PASSWORD`` environment variable, or a prompt.
(``--password`` exists for the issue's wording but warns: it is visible in ``ps``.)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.db import DatabaseNotConfigured
from app.settings import SettingsError, load_settings

MIN_PASSWORD = 12


def _read_password(args: argparse.Namespace) -> str:
    if args.password is not None:
        print(
            "warning: --password is visible to other users in the process list; "
            "prefer --password-stdin or INVOICE_ADMIN_PASSWORD",
            file=sys.stderr,
        )
        return args.password
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("INVOICE_ADMIN_PASSWORD"):
        return os.environ["INVOICE_ADMIN_PASSWORD"]
    if not sys.stdin.isatty():
        raise SystemExit("create-user: no password given: use --password-stdin or INVOICE_ADMIN_PASSWORD")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("create-user: the passwords differ")
    return first


async def _migrate() -> int:
    from app.db import database_url, migrate  # noqa: PLC0415

    applied = await migrate(database_url(load_settings()))
    print(f"migrate: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    if not args.no_migrate:
        asyncio.run(_migrate())
    import uvicorn  # noqa: PLC0415

    uvicorn.run(
        "app.main:app",
        host=os.environ.get("HOST", "0.0.0.0"),  # noqa: S104 - inside the container, behind App Runner  # nosec B104
        port=int(os.environ.get("PORT", "8000")),
        # The app reads X-Forwarded-For itself, from TRUSTED_PROXIES only (app/main.py).
        proxy_headers=False,
        server_header=False,
        log_level="warning",  # the API logs requests itself (app/logs.py)
    )
    return 0


async def _create_user(args: argparse.Namespace) -> int:
    import sqlalchemy as sa  # noqa: PLC0415
    from asyncpg.exceptions import UniqueViolationError  # noqa: PLC0415

    from app import tables  # noqa: PLC0415
    from app.auth import ROLES, hash_password  # noqa: PLC0415
    from app.db import make_database  # noqa: PLC0415
    from app.validation import EMAIL  # noqa: PLC0415

    email = args.email.strip().lower()
    if not EMAIL.match(email):
        raise SystemExit(f"create-user: --email {args.email!r} is not a valid email address")
    if args.role not in ROLES:
        raise SystemExit(f"create-user: --role must be one of {', '.join(ROLES)}")
    password = _read_password(args)
    if len(password) < MIN_PASSWORD:
        raise SystemExit(f"create-user: the password must be at least {MIN_PASSWORD} characters")
    database = make_database(load_settings())
    await database.connect()
    try:
        try:
            await database.execute(
                tables.users.insert().values(
                    email=email,
                    password_hash=hash_password(password),
                    name=args.name or email.split("@")[0],
                    role=args.role,
                )
            )
        except UniqueViolationError:
            if not args.update:
                raise SystemExit(f"create-user: a user with email {email} exists (use --update to reset)") from None
            await database.execute(
                tables.users.update()
                .where(sa.func.lower(tables.users.c.email) == email)
                .values(
                    password_hash=hash_password(password),
                    role=args.role,
                    is_active=True,
                    token_version=tables.users.c.token_version + 1,
                )
            )
            print(f"create-user: updated {email} ({args.role})")
            return 0
    finally:
        await database.disconnect()
    print(f"create-user: created {email} ({args.role})")
    return 0


async def _worker() -> int:
    from app.worker import run_forever  # noqa: PLC0415

    await run_forever(load_settings())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="Invoice Processing API tools")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply pending migrations, then serve the API on $HOST:$PORT")
    serve.add_argument("--no-migrate", action="store_true", help="serve without applying migrations first")
    sub.add_parser("migrate", help="apply pending SQL migrations (safe to run from several instances)")
    user = sub.add_parser("create-user", help="create a user (the first admin, for example)")
    user.add_argument("--email", required=True)
    user.add_argument("--role", default="viewer", help="admin, reviewer or viewer (default viewer)")
    user.add_argument("--name")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_argument("--password", help=argparse.SUPPRESS)
    user.add_argument("--update", action="store_true", help="reset password and role if the user exists")
    sub.add_parser("worker", help="run the batch worker (claims jobs from the database)")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "migrate":
            return asyncio.run(_migrate())
        if args.command == "create-user":
            return asyncio.run(_create_user(args))
        return asyncio.run(_worker())
    except (SettingsError, DatabaseNotConfigured) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
