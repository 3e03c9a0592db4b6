"""Configuration, read only from the environment (then ``.env``, then defaults).

Follows Starlette's ``Config`` pattern: one ``Settings`` object built once by
``load_settings()`` and passed to ``create_app``. Secrets are ``Secret`` values so they
never show up in a ``repr`` or a log line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from starlette.config import Config
from starlette.datastructures import Secret

ENVIRONMENTS = ("development", "test", "production")
PLAN_CACHE_MODES = ("auto", "force_generic_plan", "force_custom_plan")


class SettingsError(ValueError):
    """The environment holds a missing or invalid setting; the message names it."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: Secret = field(default_factory=lambda: Secret(""))
    jwt_secret: Secret = field(default_factory=lambda: Secret(""))
    jwt_ttl_seconds: int = 8 * 3600
    storage_backend: str = "local"  # local | s3
    storage_dir: str = "./var/storage"
    files_bucket: str = ""
    exports_bucket: str = ""
    presign_ttl_seconds: int = 300
    anthropic_api_key: Secret = field(default_factory=lambda: Secret(""))
    claude_model: str = "claude-sonnet-5"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_batch_files: int = 50
    max_list_limit: int = 10000
    login_max_attempts_ip: int = 20
    login_max_attempts_account: int = 5
    login_window_seconds: int = 900
    run_worker: bool = False
    worker_poll_seconds: float = 1.0
    worker_lease_seconds: float = 60.0
    worker_max_attempts: int = 3
    # SIGTERM (a scale-in, a deploy): the current job may finish within this many seconds,
    # then it is released to the queue. Keep it below the ECS task's stopTimeout.
    worker_stop_grace_seconds: float = 20.0
    # Queue depth as a CloudWatch metric (the worker tier scales on it); empty: not published.
    queue_metric_namespace: str = ""
    queue_metric_queue: str = ""
    queue_metric_seconds: float = 60.0
    db_pool_min: int = 1
    db_pool_max: int = 10
    # PostgreSQL's plan_cache_mode for the API's connections. Every query is a prepared
    # statement; with "auto" PostgreSQL re-plans statements whose LIMIT/OFFSET are
    # parameters on every execution (the invoice list: half its database time).
    db_plan_cache_mode: str = "force_generic_plan"
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"

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


def _positive(value: float, name: str) -> float:
    if not value > 0:
        raise SettingsError(f"environment variable {name} must be a positive number of seconds")
    return float(value)


def _bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def load_settings(environ: dict[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Build ``Settings`` from the environment; raise ``SettingsError`` naming a bad variable."""
    source = dict(os.environ if environ is None else environ)
    config = Config(env_file if env_file and os.path.exists(env_file) else None, environ=source)

    def get(name: str, cast: Any = str, default: object = None) -> Any:
        try:
            return config(name, cast=cast, default=default)
        except ValueError as exc:
            raise SettingsError(f"environment variable {name} has an invalid value") from exc

    environment = str(get("APP_ENV", default="development")).lower()
    if environment not in ENVIRONMENTS:
        raise SettingsError(f"environment variable APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    jwt_secret = get("JWT_SECRET", cast=Secret, default="")
    if environment == "production":
        if len(str(jwt_secret)) < 32:
            raise SettingsError("environment variable JWT_SECRET must be set (at least 32 characters) in production")
    elif not str(jwt_secret):
        # Development only: a per-process random secret, so tokens die with the process.
        jwt_secret = Secret(os.urandom(32).hex())
    storage_backend = str(get("STORAGE_BACKEND", default="local")).lower()
    if storage_backend not in {"local", "s3"}:
        raise SettingsError("environment variable STORAGE_BACKEND must be 'local' or 's3'")
    files_bucket = str(get("FILES_BUCKET", default=""))
    if storage_backend == "s3" and not files_bucket:
        raise SettingsError("environment variable FILES_BUCKET must be set when STORAGE_BACKEND=s3")
    max_upload = get("MAX_UPLOAD_BYTES", cast=int, default=10 * 1024 * 1024)
    if not 1 <= int(max_upload) <= 100 * 1024 * 1024:
        raise SettingsError("environment variable MAX_UPLOAD_BYTES must be between 1 and 104857600")
    plan_cache_mode = str(get("DB_PLAN_CACHE_MODE", default="force_generic_plan")).lower()
    if plan_cache_mode not in PLAN_CACHE_MODES:
        raise SettingsError(f"environment variable DB_PLAN_CACHE_MODE must be one of {', '.join(PLAN_CACHE_MODES)}")
    if get("QUEUE_METRIC_NAMESPACE", default="") and not get("QUEUE_METRIC_QUEUE", default=""):
        raise SettingsError("environment variable QUEUE_METRIC_QUEUE must be set when QUEUE_METRIC_NAMESPACE is")
    origins = tuple(o.strip() for o in str(get("CORS_ORIGINS", default="")).split(",") if o.strip())
    return Settings(
        environment=environment,
        database_url=_database_url(config),
        jwt_secret=jwt_secret,
        jwt_ttl_seconds=int(get("JWT_TTL_SECONDS", cast=int, default=8 * 3600)),
        storage_backend=storage_backend,
        storage_dir=str(get("STORAGE_DIR", default="./var/storage")),
        files_bucket=files_bucket,
        exports_bucket=str(get("EXPORTS_BUCKET", default="")) or files_bucket,
        presign_ttl_seconds=int(get("PRESIGN_TTL_SECONDS", cast=int, default=300)),
        anthropic_api_key=get("ANTHROPIC_API_KEY", cast=Secret, default=""),
        claude_model=str(get("CLAUDE_MODEL", default=str(get("ANTHROPIC_MODEL", default="claude-sonnet-5")))),
        max_upload_bytes=int(max_upload),
        max_batch_files=int(get("MAX_BATCH_FILES", cast=int, default=50)),
        run_worker=bool(get("RUN_WORKER", cast=_bool, default="false")),
        worker_poll_seconds=float(get("WORKER_POLL_SECONDS", cast=float, default=1.0)),
        worker_lease_seconds=float(get("WORKER_LEASE_SECONDS", cast=float, default=60.0)),
        worker_stop_grace_seconds=float(get("WORKER_STOP_GRACE_SECONDS", cast=float, default=20.0)),
        queue_metric_namespace=str(get("QUEUE_METRIC_NAMESPACE", default="")),
        queue_metric_queue=str(get("QUEUE_METRIC_QUEUE", default="")),
        queue_metric_seconds=_positive(get("QUEUE_METRIC_SECONDS", cast=float, default=60.0), "QUEUE_METRIC_SECONDS"),
        db_pool_min=int(get("DB_POOL_MIN", cast=int, default=1)),
        db_pool_max=int(get("DB_POOL_MAX", cast=int, default=10)),
        db_plan_cache_mode=plan_cache_mode,
        cors_origins=origins,
        log_level=str(get("LOG_LEVEL", default="INFO")).upper(),
    )
