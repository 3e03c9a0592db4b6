from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from starlette.requests import Request

from app import tables
from app.auth import current_user, issue_token, verify_password
from app.endpoints.common import client_ip, db, settings, user_cache
from app.responses import JSON, ApiError
from app.validation import email as email_value
from app.validation import json_body

USER_FIELDS = ("id", "email", "name", "role", "created_at", "last_login")


# An address this account logged in from successfully within this time is "known": the
# account-wide backoff (which a stranger's failures can raise) does not apply to it.
KNOWN_ADDRESS_DAYS = 30


async def _throttle(request: Request, address: str, account: str) -> int | None:
    """Seconds this attempt must wait (429), or None. docs/api.md "Login limits" says why.

    - per address: ``login_max_attempts_ip`` failures in the window (any accounts);
    - per account and address pair: ``login_max_attempts_pair`` failures in the window;
    - per account from any address: after ``login_backoff_after`` failures in the window,
      each attempt waits 1, 2, 4 ... (at most ``login_backoff_max_seconds``) seconds after
      the last failure, except from an address the account logged in from before.
    Refused attempts are not verified and not counted.
    """
    conf = settings(request)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    since = now - dt.timedelta(seconds=conf.login_window_seconds)
    known_since = now - dt.timedelta(days=KNOWN_ADDRESS_DAYS)
    attempts = tables.login_attempts
    failed = sa.and_(attempts.c.succeeded.is_(False), attempts.c.created_at > since)
    by_account = sa.and_(failed, attempts.c.email == account)
    query = sa.select(
        sa.func.count().filter(failed, attempts.c.ip_address == address).label("by_address"),
        sa.func.count().filter(by_account, attempts.c.ip_address == address).label("by_pair"),
        sa.func.count().filter(by_account).label("by_account"),
        sa.func.max(attempts.c.created_at).filter(by_account).label("last_failure"),
        sa.func.count()
        .filter(attempts.c.succeeded.is_(True), attempts.c.email == account, attempts.c.ip_address == address)
        .label("known"),
    ).where(
        attempts.c.created_at > min(since, known_since),
        sa.or_(attempts.c.ip_address == address, attempts.c.email == account),
    )
    row = await db(request).fetch_one(query)
    assert row is not None
    if row["by_address"] >= conf.login_max_attempts_ip or row["by_pair"] >= conf.login_max_attempts_pair:
        return conf.login_window_seconds
    excess = row["by_account"] - conf.login_backoff_after
    if excess >= 0 and not row["known"]:
        delay = min(2 ** min(excess, 30), conf.login_backoff_max_seconds)
        remaining = delay - (now - row["last_failure"]).total_seconds()
        if remaining > 0:
            return math.ceil(remaining)
    return None


async def login(request: Request) -> JSON:
    """
    summary: Log in with email and password
    description: >
      Returns a JWT (HS256, 8 h) for an existing, active account. Unknown emails never log in.
      Throttled per client address, per account and address pair, and with a growing delay
      per account (429 with Retry-After; docs/api.md "Login limits").
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [email, password]
            properties:
              email: {$ref: '#/components/schemas/Email'}
              password: {type: string, minLength: 1, maxLength: 1024}
    responses:
      200: {description: "{message, token, user}"}
      400: {description: Missing or malformed field}
      401: {description: Wrong email or password, or account deactivated}
      429: {description: Too many failed attempts}
    """
    body = await json_body(request)
    if not body.get("email") or not body.get("password"):
        field = "email" if not body.get("email") else "password"
        raise ApiError(400, "Email and password are required", field=field)
    account = email_value(body.get("email"))
    password = body.get("password")
    if not isinstance(password, str) or len(password) > 1024:
        raise ApiError(400, "password must be a string of at most 1024 characters", field="password")
    address = client_ip(request)
    wait = await _throttle(request, address, account)
    if wait:
        raise ApiError(429, "Too many failed login attempts; try again later", headers={"Retry-After": str(wait)})
    database = db(request)
    user = await database.fetch_one(tables.users.select().where(sa.func.lower(tables.users.c.email) == account))
    ok = verify_password(user["password_hash"] if user else None, password)
    await database.execute(tables.login_attempts.insert().values(email=account, ip_address=address, succeeded=ok))
    if not ok or user is None:
        raise ApiError(401, "Invalid email or password")
    if not user["is_active"]:
        raise ApiError(401, "Account is deactivated. Please contact administrator.")
    await database.execute(
        tables.users.update().where(tables.users.c.id == user["id"]).values(last_login=sa.func.now())
    )
    conf = settings(request)
    token = issue_token(dict(user._mapping), str(conf.jwt_secret), conf.jwt_ttl_seconds)
    return JSON(
        {
            "message": "Login successful",
            "token": token,
            "expires_in": conf.jwt_ttl_seconds,
            "user": {k: user[k] for k in ("id", "email", "name", "role", "created_at")},
        }
    )


async def me(request: Request) -> JSON:
    """
    summary: The logged-in user
    responses:
      200: {description: "{user}"}
      401: {description: No valid token}
    """
    user = current_user(request)
    row = await db(request).fetch_one(
        sa.select(*[tables.users.c[f] for f in USER_FIELDS]).where(tables.users.c.id == user.id)
    )
    if row is None:
        raise ApiError(401, "Invalid or expired token")
    return JSON({"user": dict(row._mapping)})


async def logout(request: Request) -> JSON:
    """
    summary: Log out
    description: Revokes every token issued to this user so far (all sessions), on every instance within seconds.
    responses:
      200: {description: "{message}"}
    """
    user = current_user(request)
    await db(request).execute(
        tables.users.update().where(tables.users.c.id == user.id).values(token_version=tables.users.c.token_version + 1)
    )
    user_cache(request).forget(user.id)
    return JSON({"message": "Logout successful"})
