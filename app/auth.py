"""Passwords (argon2id), tokens (JWT HS256), the authentication middleware and roles.

Tokens carry ``sub`` (user id), ``role``, ``email``, ``name`` and ``tv`` (the user's token
version). Logout and deactivation bump or check the version; instances cache a user's
state for a few seconds, so a revoked token stops working everywhere within that time
without a database read on every request.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from databases import Database
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app import tables
from app.responses import JSON, ApiError, error_body

ROLES = ("viewer", "reviewer", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
JWT_ALGORITHM = "HS256"
USER_CACHE_SECONDS = 5.0

hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = hasher.hash(uuid.uuid4().hex)

# Paths that need no token. Everything else under /api does.
PUBLIC_PATHS = frozenset({"/api/health", "/api/auth/login"})
# Paths the UI opens in an <iframe>: the token may come as ?token= there only.
QUERY_TOKEN_PREFIXES = ("/api/invoices/", "/api/prompts/test-file/")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: str

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def issue_token(user: dict[str, Any], secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user["id"]),
        "userId": str(user["id"]),
        "email": user["email"],
        "name": user["name"],
        "role": user["role"],
        "tv": user["token_version"],
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def decode_token(token: str, secret: str) -> dict[str, Any]:
    return jwt.decode(
        token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "iat", "sub", "role", "tv"]}
    )


class UserCache:
    """user id -> (expiry, is_active, role, token_version), a few seconds per entry."""

    def __init__(self, ttl: float = USER_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def get(self, database: Database, user_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        hit = self._entries.get(user_id)
        if hit and hit[0] > now:
            return hit[1]
        row = await database.fetch_one(
            tables.users.select()
            .with_only_columns(tables.users.c.is_active, tables.users.c.role, tables.users.c.token_version)
            .where(tables.users.c.id == user_id)
        )
        value = dict(row._mapping) if row else None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[user_id] = (now + self.ttl, value)
        return value

    def forget(self, user_id: str) -> None:
        self._entries.pop(user_id, None)


def _token_from(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            parts = value.decode("latin-1").split(" ", 1)
            if len(parts) == 2 and parts[0].lower() == "bearer" and parts[1].strip():
                return parts[1].strip()
            return None
    path: str = scope["path"]
    if path.startswith(QUERY_TOKEN_PREFIXES) and (path.endswith("/file") or "/test-file/" in path):
        from urllib.parse import parse_qs  # noqa: PLC0415 (rarely used path)

        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if values:
            return values[0]
    return None


class AuthMiddleware:
    """Pure ASGI: every /api request except PUBLIC_PATHS needs a valid, unrevoked token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not path.startswith("/api") or path.rstrip("/") in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        user, problem = await self._authenticate(scope, state)
        if user is None:
            response = JSON(error_body(ApiError(401, problem)), status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, state: Any) -> tuple[User | None, str]:
        token = _token_from(scope)
        if not token:
            return None, "Access token is required"
        try:
            claims = decode_token(token, str(state.settings.jwt_secret))
        except jwt.PyJWTError:
            return None, "Invalid or expired token"
        user_id = str(claims["sub"])
        try:
            uuid.UUID(user_id)
        except ValueError:
            return None, "Invalid or expired token"
        current = await state.user_cache.get(state.database, user_id)
        if current is None or not current["is_active"] or current["token_version"] != claims["tv"]:
            return None, "Invalid or expired token"
        return User(id=user_id, email=claims.get("email", ""), name=claims.get("name", ""), role=current["role"]), ""


Endpoint = Callable[[Request], Awaitable[Any]]


def requires(role: str = "viewer") -> Callable[[Endpoint], Endpoint]:
    """Endpoint decorator: the token's user must hold at least ``role``."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorator(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Any:
            user = current_user(request)
            if not user.has_role(role):
                raise ApiError(403, f"this action needs the {role} role")
            return await endpoint(request)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator


def current_user(request: Request) -> User:
    user = request.scope.get("state", {}).get("user")
    if user is None:  # AuthMiddleware did not run: refuse rather than serve anonymously
        raise ApiError(401, "Access token is required")
    return user
