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
# Verified tokens kept per process (signature, format and claims checked once; expiry on every use).
TOKEN_CACHE_SIZE = 4096

hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = hasher.hash(uuid.uuid4().hex)

# Paths that need no token. Everything else under /api does.
PUBLIC_PATHS = frozenset({"/api/health", "/api/auth/login", "/api/openapi.json"})


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
    """The bearer token of the Authorization header: only there (a token in a URL ends up in
    logs, histories and Referer headers; the UI fetches files with the header into blob URLs)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            parts = value.decode("latin-1").split(" ", 1)
            if len(parts) == 2 and parts[0].lower() == "bearer" and parts[1].strip():
                return parts[1].strip()
            return None
    return None


class VerifiedTokens:
    """token -> claims for tokens whose signature and claims were checked once.

    Verifying an HS256 token (base64, JSON, HMAC, claim checks) costs more than the rest of
    a small request. A token is immutable, so a verified one stays valid until it expires;
    ``exp`` is checked again on every use, exactly as PyJWT checks it. Revocation does not
    depend on this cache: the user's ``token_version`` is checked on every request.
    """

    def __init__(self, size: int = TOKEN_CACHE_SIZE) -> None:
        self.size = size
        self._claims: dict[str, dict[str, Any]] = {}

    def get(self, token: str, secret: str) -> dict[str, Any] | None:
        """The token's claims, or None when it is invalid or expired."""
        claims = self._claims.get(token)
        if claims is None:
            try:
                claims = decode_token(token, secret)
                uuid.UUID(str(claims["sub"]))
            except (jwt.PyJWTError, ValueError):
                return None
            if len(self._claims) >= self.size:
                self._claims.clear()
            self._claims[token] = claims
        elif int(claims["exp"]) <= time.time():
            del self._claims[token]
            return None
        return claims


class AuthMiddleware:
    """Pure ASGI: every /api request except PUBLIC_PATHS needs a valid, unrevoked token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tokens = VerifiedTokens()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not path.startswith("/api") or path.rstrip("/") in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        user, problem = await self._authenticate(scope, scope["state"])  # the lifespan's state
        if user is None:
            response = JSON(error_body(ApiError(401, problem)), status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, state: dict[str, Any]) -> tuple[User | None, str]:
        token = _token_from(scope)
        if not token:
            return None, "Access token is required"
        claims = self.tokens.get(token, str(state["settings"].jwt_secret))
        if claims is None:
            return None, "Invalid or expired token"
        user_id = str(claims["sub"])
        current = await state["user_cache"].get(state["database"], user_id)
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
