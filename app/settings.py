"""Configuration, read only from the environment (then ``.env``, then defaults).

Follows Starlette's ``Config`` pattern: one ``Settings`` object built once by
``load_settings()`` and passed to ``create_app``. Each setting is declared once, on its
line below: its environment variable, its default and how it is read. Secrets are
``Secret`` values so they never show up in a ``repr`` or a log line.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from starlette.config import Config
from starlette.datastructures import Secret

ENVIRONMENTS = ("development", "test", "production")
PLAN_CACHE_MODES = ("auto", "force_generic_plan", "force_custom_plan")
STORAGE_BACKENDS = ("local", "s3")
NO_SECRET = Secret("")


class SettingsError(ValueError):
    """The environment holds a missing or invalid setting; the message names it."""


def _bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _lower(value: str) -> str:
    return str(value).strip().lower()


def _upper(value: str) -> str:
    return str(value).strip().upper()


def _items(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in str(value).split(",") if item.strip())


def _addresses(value: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (CIDR); anything else is an error."""
    items = _items(value)
    for item in items:
        ipaddress.ip_network(item, strict=False)  # ValueError names nothing: load_settings names the variable
    return items


def _secret(value: str) -> Secret:
    return Secret(str(value))


def setting(
    env: str,
    default: Any,
    cast: Callable[[str], Any] = str,
    *,
    choices: tuple[str, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
) -> Any:
    """A dataclass field read from environment variable ``env`` (``cast`` converts its text)."""
    checks = {
        "env": env,
        "cast": cast,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "positive": positive,
    }
    if isinstance(default, Secret | tuple):
        return dataclasses.field(default_factory=lambda: default, metadata=checks)
    return dataclasses.field(default=default, metadata=checks)


@dataclass(frozen=True)
class Settings:
    environment: str = setting("APP_ENV", "development", _lower, choices=ENVIRONMENTS)
    build_id: str = setting("APP_BUILD_ID", "")  # the image's version (the deploy sets it); /api/health reports it
    # DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD/DB_SSLMODE (see _database_url).
    database_url: Secret = setting("DATABASE_URL", NO_SECRET, _secret)  # noqa: RUF009 (Secret is immutable)
    # Required (>= 32 characters) in production; elsewhere a random one per process.
    jwt_secret: Secret = setting("JWT_SECRET", NO_SECRET, _secret)  # noqa: RUF009 (Secret is immutable)
    jwt_ttl_seconds: int = setting("JWT_TTL_SECONDS", 8 * 3600, int, minimum=60)
    storage_backend: str = setting("STORAGE_BACKEND", "local", _lower, choices=STORAGE_BACKENDS)
    storage_dir: str = setting("STORAGE_DIR", "./var/storage")
    files_bucket: str = setting("FILES_BUCKET", "")
    exports_bucket: str = setting("EXPORTS_BUCKET", "")  # empty: the files bucket
    presign_ttl_seconds: int = setting("PRESIGN_TTL_SECONDS", 300, int, minimum=1, maximum=7 * 24 * 3600)
    anthropic_api_key: Secret = setting("ANTHROPIC_API_KEY", NO_SECRET, _secret)  # noqa: RUF009 (Secret is immutable)
    claude_model: str = setting("CLAUDE_MODEL", "claude-sonnet-5")  # ANTHROPIC_MODEL is read when it is unset
    max_upload_bytes: int = setting("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, int, minimum=1, maximum=100 * 1024 * 1024)
    max_batch_files: int = setting("MAX_BATCH_FILES", 50, int, minimum=1, maximum=1000)
    max_list_limit: int = setting("MAX_LIST_LIMIT", 10000, int, minimum=1, maximum=100_000)
    # Login throttling (docs/api.md "Login limits"): failures counted over the window.
    login_window_seconds: int = setting("LOGIN_WINDOW_SECONDS", 900, int, minimum=1)
    login_max_attempts_ip: int = setting("LOGIN_MAX_ATTEMPTS_IP", 20, int, minimum=1)
    login_max_attempts_pair: int = setting("LOGIN_MAX_ATTEMPTS_PAIR", 5, int, minimum=1)
    login_backoff_after: int = setting("LOGIN_BACKOFF_AFTER", 5, int, minimum=1)
    login_backoff_max_seconds: int = setting("LOGIN_BACKOFF_MAX_SECONDS", 60, int, minimum=1)
    # Front ends (App Runner's, a load balancer's) whose X-Forwarded-For is believed. Default none.
    trusted_proxies: tuple[str, ...] = setting("TRUSTED_PROXIES", (), _addresses)
    # /api/health checks storage at most this often (the deep check, ?deep=true, every time).
    health_storage_interval_seconds: float = setting("HEALTH_STORAGE_INTERVAL_SECONDS", 30.0, float, minimum=0)
    run_worker: bool = setting("RUN_WORKER", False, _bool)
    worker_poll_seconds: float = setting("WORKER_POLL_SECONDS", 1.0, float, minimum=0.01)
    worker_lease_seconds: float = setting("WORKER_LEASE_SECONDS", 60.0, float, minimum=1)
    worker_max_attempts: int = setting("WORKER_MAX_ATTEMPTS", 3, int, minimum=1)
    # SIGTERM (a scale-in, a deploy): the current job may finish within this many seconds,
    # then it is released to the queue. Keep it below the ECS task's stopTimeout.
    worker_stop_grace_seconds: float = setting("WORKER_STOP_GRACE_SECONDS", 20.0, float, minimum=0)
    # Queue depth as a CloudWatch metric (the worker tier scales on it); empty: not published.
    queue_metric_namespace: str = setting("QUEUE_METRIC_NAMESPACE", "")
    queue_metric_queue: str = setting("QUEUE_METRIC_QUEUE", "")  # required with QUEUE_METRIC_NAMESPACE
    queue_metric_seconds: float = setting("QUEUE_METRIC_SECONDS", 60.0, float, positive=True)
    db_pool_min: int = setting("DB_POOL_MIN", 1, int, minimum=0)
    db_pool_max: int = setting("DB_POOL_MAX", 10, int, minimum=1)
    # PostgreSQL's plan_cache_mode for the API's connections. Every query is a prepared
    # statement; with "auto" PostgreSQL re-plans statements whose LIMIT/OFFSET are
    # parameters on every execution (the invoice list: half its database time).
    db_plan_cache_mode: str = setting("DB_PLAN_CACHE_MODE", "force_generic_plan", _lower, choices=PLAN_CACHE_MODES)
    cors_origins: tuple[str, ...] = setting("CORS_ORIGINS", (), _items)
    log_level: str = setting("LOG_LEVEL", "INFO", _upper)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _database_url(config: Config) -> Secret:
    """DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER plus the secret DB_PASSWORD."""
    url = Secret(str(config("DATABASE_URL", default="")))
    if str(url):
        return url
    host = config("DB_HOST", default="")
    if not host:
        return Secret("")
    port = config("DB_PORT", cast=int, default=5432)
    name = config("DB_NAME", default="invoices")
    user = config("DB_USER", default="invoice")
    password = str(config("DB_PASSWORD", cast=Secret, default=""))
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    sslmode = config("DB_SSLMODE", default="")
    query = f"?ssl={sslmode}" if sslmode else ""
    return Secret(f"postgresql://{auth}@{host}:{port}/{quote(name, safe='')}{query}")


def _read(config: Config, spec: dataclasses.Field[Any]) -> Any:
    """One setting from the environment, cast and checked; ``SettingsError`` names its variable."""
    meta = spec.metadata
    name = meta["env"]
    if name not in config.environ and name not in config.file_values:
        if spec.default is not dataclasses.MISSING:
            return spec.default
        return spec.default_factory()  # type: ignore[operator]
    try:
        value = meta["cast"](config(name))
    except ValueError:
        raise SettingsError(f"environment variable {name} has an invalid value") from None
    if meta["choices"] and value not in meta["choices"]:
        raise SettingsError(f"environment variable {name} must be one of {', '.join(meta['choices'])}")
    if meta["positive"] and not value > 0:
        raise SettingsError(f"environment variable {name} must be a positive number of seconds")
    if meta["minimum"] is not None and value < meta["minimum"]:
        raise SettingsError(f"environment variable {name} must be at least {meta['minimum']}")
    if meta["maximum"] is not None and value > meta["maximum"]:
        raise SettingsError(f"environment variable {name} must be at most {meta['maximum']}")
    return value


def load_settings(environ: dict[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Build ``Settings`` from the environment; raise ``SettingsError`` naming a bad variable."""
    source = dict(os.environ if environ is None else environ)
    config = Config(env_file if env_file and os.path.exists(env_file) else None, environ=source)
    values = {spec.name: _read(config, spec) for spec in dataclasses.fields(Settings)}
    # The few settings that depend on another one.
    try:
        values["database_url"] = _database_url(config)
    except ValueError:
        raise SettingsError("environment variable DB_PORT has an invalid value") from None
    if "CLAUDE_MODEL" not in source and "ANTHROPIC_MODEL" in source:
        values["claude_model"] = source["ANTHROPIC_MODEL"]
    values["exports_bucket"] = values["exports_bucket"] or values["files_bucket"]
    if values["environment"] == "production":
        if len(str(values["jwt_secret"])) < 32:
            raise SettingsError("environment variable JWT_SECRET must be set (at least 32 characters) in production")
    elif not str(values["jwt_secret"]):
        # Development only: a per-process random secret, so tokens die with the process.
        values["jwt_secret"] = Secret(os.urandom(32).hex())
    if values["storage_backend"] == "s3" and not values["files_bucket"]:
        raise SettingsError("environment variable FILES_BUCKET must be set when STORAGE_BACKEND=s3")
    if values["queue_metric_namespace"] and not values["queue_metric_queue"]:
        raise SettingsError("environment variable QUEUE_METRIC_QUEUE must be set when QUEUE_METRIC_NAMESPACE is")
    if values["db_pool_min"] > values["db_pool_max"]:
        raise SettingsError("environment variable DB_POOL_MIN must not exceed DB_POOL_MAX")
    return Settings(**values)
