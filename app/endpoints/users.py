"""User administration (admin only): list, create, change role, deactivate.

Every change is audited: one JSON line on the ``app.audit`` logger (written whatever
``LOG_LEVEL`` says; app/logs.py) naming the acting admin, the request id, the user changed
and what changed. Passwords are never returned or logged; only their argon2id hash is stored.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from app import tables
from app.auth import ROLES, current_user, hash_password, requires
from app.endpoints.common import Paging, db, paged, user_cache
from app.responses import JSON, ApiError, bad_request, not_found, unique_or_409
from app.validation import boolean, json_body, page_offset, path_id, string
from app.validation import email as email_value

audit = logging.getLogger("app.audit")

# The CLI's rule (python -m app create-user); the upper bound is login's.
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
PAGING = Paging(default_limit=50, max_limit=100)  # users per page
DUPLICATE = "A user with this email already exists"

_u = tables.users
_COLUMNS = (_u.c.id, _u.c.email, _u.c.name, _u.c.role, _u.c.is_active.label("active"), _u.c.created_at, _u.c.last_login)


def _user_json(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


async def _load(request: Request, user_id: str) -> dict[str, Any]:
    row = await db(request).fetch_one(sa.select(*_COLUMNS).where(_u.c.id == user_id))
    if row is None:
        raise not_found("User", "id")
    return _user_json(row)


def _audit(request: Request, action: str, user: dict[str, Any], **changes: Any) -> None:
    actor = current_user(request)
    audit.info(
        action,
        extra={
            "audit": action,
            "actor_id": actor.id,
            "actor_email": actor.email,
            "request_id": request.scope.get("state", {}).get("request_id"),
            "target_id": str(user["id"]),
            "target_email": user["email"],
            "changes": changes,
        },
    )


def _password(value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request("password", "password must be a string")
    if not value.strip() or "\x00" in value:
        raise bad_request("password", "password may not be blank or hold NUL")
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise bad_request("password", f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("password", "password must be valid Unicode text") from None
    return value


def _role(value: Any) -> str:
    if value not in ROLES:
        raise bad_request("role", f"role must be one of {', '.join(ROLES)}")
    return str(value)


@requires("admin")
@paged(PAGING)
async def list_users(request: Request) -> JSON:
    """
    summary: List users, by email (admin)
    responses:
      200:
        description: >
          {users: [{id, email, name, role, active, created_at, last_login}],
          pagination: {page, limit, total, pages}}; last_login is null until the first login
    """
    page, limit = PAGING.parse(request)
    database = db(request)
    records = await database.fetch_all(
        sa.select(*_COLUMNS).order_by(sa.func.lower(_u.c.email), _u.c.id).limit(limit).offset(page_offset(page, limit))
    )
    total = await database.fetch_val(sa.select(sa.func.count()).select_from(_u))
    return JSON(
        {
            "users": [_user_json(r) for r in records],
            "pagination": PAGING.pagination(page, limit, total),
        }
    )


def _still_admin(actor: Any) -> None:
    """The acting user's row, read under a lock: 403 unless it is still an active admin."""
    if actor is None or not actor["is_active"] or actor["role"] != "admin":
        raise ApiError(403, "this action needs the admin role")


@requires("admin")
async def create_user(request: Request) -> JSON:
    """
    summary: Create a user (admin)
    description: >
      The password follows the rules of `python -m app create-user` (at least 12 characters)
      and is stored as an argon2id hash only; it is never returned or logged. The email is
      kept lower-case; name defaults to the part before the @. Audited.
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [email, password, role]
            properties:
              email: {$ref: '#/components/schemas/Email'}
              password: {type: string, minLength: 12, maxLength: 1024}
              role: {type: string, enum: [viewer, reviewer, admin]}
              name: {type: string, maxLength: 255}
    responses:
      201: {description: "{message, user: {id, email, name, role, active, created_at, last_login}}"}
      409: {description: A user with this email exists (case-insensitive)}
    """
    body = await json_body(request)
    address = email_value(body.get("email"))
    if len(address) > 255:  # lower-casing can lengthen a few characters
        raise bad_request("email", "email must be at most 255 characters")
    password = _password(body.get("password"))
    role = _role(body.get("role"))
    name = string(body.get("name"), "name", max_length=255) or address.split("@")[0]
    database = db(request)
    taken = await database.fetch_one(sa.select(_u.c.id).where(sa.func.lower(_u.c.email) == address))
    if taken is not None:
        raise ApiError(409, DUPLICATE, field="email")
    password_hash = hash_password(password)
    async with database.transaction():
        # The token's role was read up to a few seconds ago: an admin demoted or deactivated
        # meanwhile (on any instance) must not create an account, least of all an admin's. The
        # actor's row is held FOR SHARE until the insert commits, so a demotion waits for it.
        actor = await database.fetch_one(
            sa.select(_u.c.role, _u.c.is_active).where(_u.c.id == current_user(request).id).with_for_update(read=True)
        )
        _still_admin(actor)
        with unique_or_409(DUPLICATE, "email"):
            user_id = await database.execute(
                _u.insert().values(email=address, password_hash=password_hash, name=name, role=role).returning(_u.c.id)
            )
    user = await _load(request, str(user_id))
    _audit(request, "user created", user, role=role, active=True)
    return JSON({"message": "User created successfully", "user": user}, status_code=201)


@requires("admin")
async def update_user(request: Request) -> JSON:
    """
    summary: Change a user's role or deactivate / reactivate them (admin)
    description: >
      An admin cannot deactivate or demote themselves (so an active admin always remains).
      A deactivated user cannot log in and every token issued to them stops working (on
      every instance within seconds); reactivating does not revive those tokens. Audited.
    requestBody:
      content:
        application/json:
          schema:
            type: object
            minProperties: 1
            properties:
              role: {type: string, enum: [viewer, reviewer, admin], nullable: false}
              active: {type: boolean, nullable: false}
    responses:
      200: {description: "{message, user: {id, email, name, role, active, created_at, last_login}}"}
      400: {description: A bad field, nothing to update, or the admin's own demotion or deactivation}
      404: {description: Unknown user}
    """
    user_id = path_id(request)
    body = await json_body(request)
    values: dict[str, Any] = {}
    if "role" in body:
        values["role"] = _role(body["role"])
    if "active" in body:
        active = boolean(body["active"], "active")
        if active is None:
            raise bad_request("active", "active must be true or false")
        values["is_active"] = active
    if not values:
        raise bad_request("body", "No valid fields to update: role or active")
    actor = current_user(request)
    database = db(request)
    async with database.transaction():
        # The acting admin's row and the target's, locked in one order (no deadlock between two admins
        # changing each other): the actor must still be an active admin now, so two concurrent
        # demotions cannot leave no admin (the token's role was read up to a few seconds ago).
        locked = await database.fetch_all(
            sa.select(_u.c.id, _u.c.email, _u.c.role, _u.c.is_active)
            .where(_u.c.id.in_({user_id, actor.id}))
            .order_by(_u.c.id)
            .with_for_update()
        )
        found = {str(r["id"]): r for r in locked}
        _still_admin(found.get(actor.id))
        row = found.get(user_id)
        if row is None:
            raise not_found("User", "id")
        if str(row["id"]) == actor.id:
            if values.get("is_active") is False:
                raise bad_request("active", "You cannot deactivate yourself")
            if values.get("role", "admin") != "admin":
                raise bad_request("role", "You cannot remove your own admin role")
        changes = {
            ("active" if key == "is_active" else key): value for key, value in values.items() if row[key] != value
        }
        if changes:
            update = dict(values)
            if changes.get("active") is False:  # revoke every token issued so far
                update["token_version"] = _u.c.token_version + 1
            await database.execute(_u.update().where(_u.c.id == user_id).values(**update))
    user_cache(request).forget(user_id)
    user = await _load(request, user_id)
    if changes:
        _audit(request, "user updated", user, **changes)
    return JSON({"message": "User updated successfully" if changes else "No change", "user": user})
