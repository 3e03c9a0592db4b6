"""Real PostgreSQL behind the local endpoint's RDS: one PostgreSQL 15 cluster per DB instance.

Each DB instance is its own cluster (its own server process, roles and databases), listening
on its own loopback address (``127.x.y.z``, chosen at random) at the port the instance was
created with, so ``Endpoint.Address``/``Endpoint.Port`` are where a client really connects
and two instances never share a port. The master user is a real login role whose password
is stored as a SCRAM verifier computed here (the password is never in a command line, a SQL
log or a file); TCP logins need it (``scram-sha-256`` on 127.0.0.0/8), TLS is on (a
self-signed certificate, as ``sslmode=require`` expects). The endpoint itself administers the
clusters as the bootstrap superuser ``rdsadmin`` over a Unix socket only it can reach.

Cheap to create: ``initdb`` runs once per endpoint (the *template*, 1 MB WAL segments); an
instance is a copy of the template started on its address (a few hundred milliseconds).

Backups are real:

* **WAL archiving**: every cluster archives its WAL (gzip) into its own archive;
  ``archive_timeout`` is short and a heartbeat (as RDS writes to ``rdsadmin``) commits every
  interval, so the archive is never more than about two intervals behind.
  ``LatestRestorableTime`` is the newest heartbeat whose commit is in an archived segment:
  every write committed before it can be restored.
* **Base backups**: a new instance's base is the template itself (a clean, shut-down copy:
  recovery starts at its checkpoint and replays the instance's whole archive); a restored
  instance takes a ``pg_basebackup`` once it is up.
* **Snapshots** are ``pg_basebackup`` copies (consistent, WAL included) of the running
  cluster; restoring one starts a copy of it; copying one (another region) copies the files.
* **Point-in-time restore** copies the source's base, replays its archive up to the target
  time (``recovery_target_time``, then promote), and the result is the new instance.

Settings (environment): ``LOCALAWS_RDS_PGBIN`` (``/usr/lib/postgresql/15/bin``),
``LOCALAWS_RDS_DATA`` (a directory for the clusters; default a new temporary directory,
removed at exit), ``LOCALAWS_RDS_RUN_AS`` (as root, the unprivileged user the servers run as;
``postgres``), ``LOCALAWS_RDS_ARCHIVE_TIMEOUT`` (seconds, default 5).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("localaws.rds")

PGBIN_ENV = "LOCALAWS_RDS_PGBIN"
DATA_ENV = "LOCALAWS_RDS_DATA"
RUN_AS_ENV = "LOCALAWS_RDS_RUN_AS"
ARCHIVE_TIMEOUT_ENV = "LOCALAWS_RDS_ARCHIVE_TIMEOUT"
DEFAULT_PGBIN = "/usr/lib/postgresql/15/bin"
DEFAULT_ARCHIVE_TIMEOUT = 5.0
ADMIN = "rdsadmin"
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

# Appended to every cluster's postgresql.conf (in the template). Per-instance settings
# (address, port, socket, archive) are in localaws.conf; recovery targets in localaws-recovery.conf.
BASE_CONF = """
# --- tools/localaws/rds: settings of every local RDS instance ---
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
wal_level = replica
archive_mode = on
max_wal_senders = 4
wal_recycle = off
hot_standby = off
shared_buffers = 16MB
max_connections = 100
fsync = off
synchronous_commit = off
log_min_error_statement = panic
include_if_exists = 'localaws.conf'
include_if_exists = 'localaws-recovery.conf'
"""

HBA = """# tools/localaws/rds: the endpoint administers over the Unix socket; clients log in with passwords
local all all trust
local replication all trust
host all rdsadmin 0.0.0.0/0 reject
host all all 127.0.0.0/8 scram-sha-256
"""


class PostgresError(RuntimeError):
    """A PostgreSQL operation of the local RDS failed (the message says which and why)."""


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The ``SCRAM-SHA-256$...`` verifier PostgreSQL stores for ``password`` (RFC 5802/7677)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def archive_timeout() -> float:
    raw = os.environ.get(ARCHIVE_TIMEOUT_ENV, str(DEFAULT_ARCHIVE_TIMEOUT))
    try:
        value = float(raw)
    except ValueError as exc:
        raise PostgresError(f"{ARCHIVE_TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from exc
    if not 1 <= value <= 3600:
        raise PostgresError(f"{ARCHIVE_TIMEOUT_ENV} must be between 1 and 3600 seconds, got {raw!r}")
    return value


def _in_home(name: str) -> property:
    """The path ``name`` in the directory an instance or snapshot keeps its files in (``home``)."""
    return property(lambda self: self.home / name)


@dataclass
class Instance:
    """One running cluster (one DB instance)."""

    key: str
    home: Path
    address: str
    port: int
    base: Path  # a data directory a point-in-time recovery starts from
    earliest: float = 0.0  # epoch seconds: the earliest restorable time
    latest: float | None = None  # epoch seconds: the latest restorable time (None: none yet)
    beats: list[tuple[float, str]] = field(default_factory=list)  # (heartbeat time, its WAL segment)

    data = _in_home("data")
    archive = _in_home("archive")
    socket_dir = _in_home("s")
    log = _in_home("server.log")


@dataclass
class Snapshot:
    key: str
    home: Path

    data = _in_home("data")


class Engine:
    """The clusters of one endpoint process (thread-safe)."""

    def __init__(self) -> None:
        self.pgbin = Path(os.environ.get(PGBIN_ENV, DEFAULT_PGBIN))
        self.run_as = os.environ.get(RUN_AS_ENV, "postgres")
        self._root: Path | None = None
        self._root_is_temp = False
        self._template_ready = False
        self._template_lock = threading.Lock()
        self._lock = threading.RLock()
        self._counter = 0
        self.instances: dict[str, Instance] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    # -- plumbing --------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        with self._lock:
            if self._root is None:
                configured = os.environ.get(DATA_ENV)
                if configured:
                    self._root = Path(configured)
                    self._root.mkdir(parents=True, exist_ok=True)
                else:
                    self._root = Path(tempfile.mkdtemp(prefix="localaws-rds-"))
                    self._root_is_temp = True
                self._own(self._root)
            return self._root

    def _server_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(self.run_as)
        except KeyError as exc:
            raise PostgresError(
                f"running as root and user {self.run_as!r} does not exist: PostgreSQL refuses to run as root; "
                f"create an unprivileged user (useradd -r {self.run_as}) or set {RUN_AS_ENV}"
            ) from exc

    def _own(self, path: Path) -> None:
        user = self._server_user()
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(0o700)

    def _mkdir(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        self._own(path)
        return path

    def _bin(self, name: str) -> str:
        path = self.pgbin / name
        if not os.access(path, os.X_OK):
            raise PostgresError(
                f"PostgreSQL 15 binary {path} not found: install the server (Debian/Ubuntu: apt-get install "
                f"postgresql-15) or set {PGBIN_ENV} to its bin directory"
            )
        return str(path)

    def _run(self, args: list[str], *, as_server: bool = False, stdin: str | None = None, what: str) -> str:
        """Run a PostgreSQL program; as the server user when ``as_server`` (and root)."""
        env = {"PATH": CLEAN_PATH, "LANG": "C.UTF-8", "PGCONNECT_TIMEOUT": "30"}
        command = list(args)
        user = self._server_user() if as_server else None
        if user is not None:
            command = [
                "runuser",
                "-u",
                user.pw_name,
                "--",
                "env",
                "-i",
                *(f"{k}={v}" for k, v in env.items()),
                *command,
            ]
        try:
            result = subprocess.run(  # noqa: S603 (fixed PostgreSQL programs, no shell)
                command, input=stdin, capture_output=True, text=True, env=env, timeout=900, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresError(f"{what} failed: {exc}") from exc
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise PostgresError(f"{what} failed: {' / '.join(detail) or f'exit {result.returncode}'}")
        return result.stdout

    def _psql(self, socket_dir: Path, port: int, database: str) -> list[str]:
        """psql as rdsadmin over a cluster's Unix socket, unaligned output, stopping at the first error."""
        options = ("-X", "-q", "-At", "-v", "ON_ERROR_STOP=1")
        return [self._bin("psql"), *options, "-h", str(socket_dir), "-p", str(port), "-U", ADMIN, "-d", database]

    def _sql(self, instance: Instance, sql: str, *, database: str = "postgres", what: str) -> str:
        """Run SQL as rdsadmin over the instance's socket (SQL on stdin, never on a command line)."""
        return self._run([*self._psql(instance.socket_dir, instance.port, database), "-f", "-"], stdin=sql, what=what)

    def _pg_ctl(self, data: Path, *args: str, log_file: Path | None = None, what: str) -> None:
        command = [self._bin("pg_ctl"), "-D", str(data), "-w", "-t", "900"]
        if log_file is not None:
            command += ["-l", str(log_file)]
        try:
            self._run([*command, *args], as_server=True, what=what)
        except PostgresError as exc:
            tail = ""
            if log_file is not None and log_file.exists():
                lines = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
                fatal = [line for line in lines if any(w in line for w in ("FATAL:", "PANIC:", "ERROR:"))]
                tail = " / ".join((fatal or lines)[-3:])
            raise PostgresError(f"{exc}{f' (server log: {tail})' if tail else ''}") from exc

    def _copy(self, source: Path, target: Path, what: str) -> None:
        # cp -a keeps ownership (the server user's) and modes; run as the caller
        self._run(["cp", "-a", str(source), str(target)], what=what)

    def _next_home(self, prefix: str) -> Path:
        with self._lock:
            self._counter += 1
            return self._mkdir(self.root / f"{prefix}{self._counter}")

    # -- the template ----------------------------------------------------------------------

    def template(self) -> Path:
        """initdb once per endpoint: the cluster every new instance is a copy of."""
        with self._template_lock:
            path = self.root / "template"
            if self._template_ready:
                return path
            if path.exists():
                shutil.rmtree(path)
            self._run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(path),
                    "-U",
                    ADMIN,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--wal-segsize=1",
                    "--no-sync",
                ],
                as_server=True,
                what="initdb of the RDS template cluster",
            )
            self._run(
                [
                    "openssl",
                    "req",
                    "-new",
                    "-x509",
                    "-days",
                    "3650",
                    "-nodes",
                    "-subj",
                    "/CN=localaws-rds",
                    "-newkey",
                    "rsa:2048",
                    "-keyout",
                    str(path / "server.key"),
                    "-out",
                    str(path / "server.crt"),
                ],
                as_server=True,
                what="creating the TLS certificate of the RDS template",
            )
            with (path / "postgresql.conf").open("a") as conf:
                conf.write(BASE_CONF)
            (path / "pg_hba.conf").write_text(HBA)
            (path / "server.key").chmod(0o600)
            # rdsadmin's heartbeat table and the rds_superuser role, as on RDS
            sock = self._mkdir(self.root / "template-s")
            conf = path / "localaws.conf"
            conf.write_text(
                f"listen_addresses = ''\nport = 5432\nunix_socket_directories = '{sock}'\narchive_mode = off\n"
            )
            self._own_tree(path)
            self._pg_ctl(path, "start", log_file=self.root / "template.log", what="starting the RDS template cluster")
            try:
                self._run(
                    [*self._psql(sock, 5432, "postgres"), "-f", "-"],
                    stdin="CREATE ROLE rds_superuser NOLOGIN;\nCREATE DATABASE rdsadmin;\n"
                    "\\connect rdsadmin\nCREATE TABLE heartbeat (beat timestamptz NOT NULL);\n"
                    "INSERT INTO heartbeat VALUES (now());\n",
                    what="preparing the RDS template cluster",
                )
            finally:
                self._pg_ctl(path, "stop", "-m", "fast", what="stopping the RDS template cluster")
            conf.unlink()
            self._template_ready = True
            return path

    def _own_tree(self, path: Path) -> None:
        user = self._server_user()
        if user is None:
            return
        for dirpath, _dirs, files in os.walk(path):
            os.chown(dirpath, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid)

    def warm_up(self) -> None:
        """Build the template in the background so the first CreateDBInstance is quick."""
        with contextlib.suppress(Exception):  # a failure is reported by the first real use
            self.template()

    # -- instances -------------------------------------------------------------------------

    @staticmethod
    def _free_address(port: int) -> str:
        for _ in range(200):
            address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((address, port))
                except OSError:
                    continue
                return address
        raise PostgresError(f"no free loopback address for port {port}")

    def _write_conf(self, instance: Instance) -> None:
        archive = instance.archive
        timeout = archive_timeout()
        text = (
            f"listen_addresses = '{instance.address}'\n"
            f"port = {instance.port}\n"
            f"unix_socket_directories = '{instance.socket_dir}'\n"
            f"archive_command = 'gzip -c %p > {archive}/%f.part && mv {archive}/%f.part {archive}/%f'\n"
            f"archive_timeout = {int(timeout)}\n"
        )
        (instance.data / "localaws.conf").write_text(text)
        self._own_tree(instance.data / "localaws.conf")

    def _prepare(self, key: str, port: int, source: Path) -> Instance:
        """A new instance directory holding a copy of ``source`` (stopped), configured for ``port``."""
        with self._lock:
            if key in self.instances:
                raise PostgresError(f"DB instance {key} already has a cluster")
        home = self._next_home("i")
        instance = Instance(key, home, self._free_address(port), port, source)
        self._copy(source, instance.data, what=f"copying the data of {key}")
        for stale in ("postmaster.pid", "recovery.signal", "standby.signal", "localaws-recovery.conf"):
            (instance.data / stale).unlink(missing_ok=True)
        self._mkdir(instance.archive)
        self._mkdir(instance.socket_dir)
        self._write_conf(instance)
        return instance

    def _start(self, instance: Instance) -> None:
        self._pg_ctl(instance.data, "start", log_file=instance.log, what=f"starting the cluster of {instance.key}")

    def _register(self, instance: Instance) -> None:
        instance.earliest = time.time()
        with self._lock:
            self.instances[instance.key] = instance
        self._ensure_heartbeat()

    def create_instance(self, key: str, port: int, master_user: str, password: str, db_name: str | None) -> Instance:
        """A new cluster with the master user (password needed over TCP) and ``db_name``."""
        instance = self._prepare(key, port, self.template())
        try:
            self._start(instance)
            sql = (
                f"CREATE ROLE {ident(master_user)} LOGIN CREATEDB CREATEROLE IN ROLE rds_superuser "
                f"PASSWORD {literal(scram_verifier(password))};\n"
            )
            if db_name:
                sql += f"CREATE DATABASE {ident(db_name)} OWNER {ident(master_user)};\n"
            self._sql(instance, sql, what=f"creating the master user and database of {key}")
        except Exception:
            self._destroy(instance)
            raise
        self._register(instance)
        return instance

    def set_password(self, key: str, user: str, password: str) -> None:
        instance = self.get(key)
        self._sql(
            instance,
            f"ALTER ROLE {ident(user)} PASSWORD {literal(scram_verifier(password))};\n",
            what=f"changing the master password of {key}",
        )

    def change_port(self, key: str, port: int) -> Instance:
        instance = self.get(key)
        if port == instance.port:
            return instance
        self._pg_ctl(instance.data, "stop", "-m", "fast", what=f"stopping {key}")
        instance.address = self._free_address(port)
        instance.port = port
        self._write_conf(instance)
        self._start(instance)
        return instance

    def stop_instance(self, key: str) -> None:
        instance = self.get(key)
        if (instance.data / "postmaster.pid").exists():
            self._pg_ctl(instance.data, "stop", "-m", "fast", what=f"stopping {key}")

    def start_instance(self, key: str) -> None:
        instance = self.get(key)
        if not (instance.data / "postmaster.pid").exists():
            self._start(instance)

    def reboot_instance(self, key: str) -> None:
        instance = self.get(key)
        self._pg_ctl(instance.data, "restart", "-m", "fast", log_file=instance.log, what=f"rebooting {key}")

    def rename(self, key: str, new_key: str) -> None:
        with self._lock:
            instance = self.instances.pop(key)
            instance.key = new_key
            self.instances[new_key] = instance

    def get(self, key: str) -> Instance:
        with self._lock:
            instance = self.instances.get(key)
        if instance is None:
            raise PostgresError(f"DB instance {key} has no local cluster")
        return instance

    def _destroy(self, instance: Instance) -> None:
        if (instance.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresError):
                self._pg_ctl(instance.data, "stop", "-m", "immediate", what=f"stopping {instance.key}")
        shutil.rmtree(instance.home, ignore_errors=True)

    def delete_instance(self, key: str) -> None:
        with self._lock:
            instance = self.instances.pop(key, None)
        if instance is not None:
            self._destroy(instance)

    # -- snapshots -------------------------------------------------------------------------

    def _basebackup(self, instance: Instance, target: Path, what: str) -> None:
        self._run(
            [
                self._bin("pg_basebackup"),
                "-h",
                str(instance.socket_dir),
                "-p",
                str(instance.port),
                "-U",
                ADMIN,
                "-D",
                str(target),
                "-X",
                "fetch",
                "-c",
                "fast",
                "--no-sync",
            ],
            as_server=True,
            what=what,
        )

    def snapshot(self, instance_key: str, snapshot_key: str) -> Snapshot:
        """A consistent physical copy of the running cluster (pg_basebackup, WAL included)."""
        instance = self.get(instance_key)
        what = f"snapshot {snapshot_key} of {instance_key}"
        return self._new_snapshot(snapshot_key, lambda data: self._basebackup(instance, data, what=what))

    def has_snapshot(self, snapshot_key: str) -> bool:
        with self._lock:
            return snapshot_key in self.snapshots

    def copy_snapshot(self, source_key: str, target_key: str) -> Snapshot:
        with self._lock:
            source = self.snapshots.get(source_key)
        if source is None:
            raise PostgresError(f"snapshot {source_key} has no local data")
        what = f"copying snapshot {source_key} to {target_key}"
        return self._new_snapshot(target_key, lambda data: self._copy(source.data, data, what=what))

    def _new_snapshot(self, key: str, fill: Callable[[Path], None]) -> Snapshot:
        """Snapshot ``key`` in a new home, its data directory written by ``fill`` (the home removed if that fails)."""
        snap = Snapshot(key, self._next_home("snap"))
        try:
            fill(snap.data)
        except Exception:
            shutil.rmtree(snap.home, ignore_errors=True)
            raise
        with self._lock:
            self.snapshots[key] = snap
        return snap

    def delete_snapshot(self, snapshot_key: str) -> None:
        with self._lock:
            snap = self.snapshots.pop(snapshot_key, None)
        if snap is not None:
            shutil.rmtree(snap.home, ignore_errors=True)

    def _take_base(self, instance: Instance) -> None:
        base = instance.home / "base"
        self._basebackup(instance, base, what=f"base backup of {instance.key}")
        instance.base = base

    def restore_snapshot(self, snapshot_key: str, key: str, port: int) -> Instance:
        """A new instance started from a copy of the snapshot (same roles, passwords and data)."""
        with self._lock:
            snap = self.snapshots.get(snapshot_key)
        if snap is None:
            raise PostgresError(f"snapshot {snapshot_key} has no local data")
        return self._start_recovered(self._prepare(key, port, snap.data))

    # -- point in time ---------------------------------------------------------------------

    def restore_to_time(self, source_key: str, key: str, port: int, target: float) -> Instance:
        """A new instance: the source's base with its archived WAL replayed up to ``target``."""
        source = self.get(source_key)
        instance = self._prepare(key, port, source.base)
        when = datetime.fromtimestamp(target, UTC).isoformat(sep=" ")
        recovery = (
            f"restore_command = 'gunzip -c {source.archive}/%f > %p'\n"
            f"recovery_target_time = '{when}'\n"
            "recovery_target_action = 'promote'\n"
            "recovery_target_timeline = 'latest'\n"
        )
        (instance.data / "localaws-recovery.conf").write_text(recovery)
        (instance.data / "recovery.signal").write_text("")
        self._own_tree(instance.data)
        return self._start_recovered(instance, leftover="localaws-recovery.conf")

    def _start_recovered(self, instance: Instance, leftover: str | None = None) -> Instance:
        """Start a prepared instance that recovers first (a snapshot's WAL, or the archive up to a
        PITR target), then, once promoted, remove ``leftover`` from its data directory, take its
        base backup and register it; a failure on the way destroys it."""
        try:
            self._start(instance)
            # The server replays WAL before it takes connections (pg_ctl -w can return first on
            # a loaded machine; the base backup then fails).
            self._wait_promoted(instance)
            if leftover is not None:
                (instance.data / leftover).unlink(missing_ok=True)
            self._take_base(instance)
        except Exception:
            self._destroy(instance)
            raise
        self._register(instance)
        return instance

    def _wait_promoted(self, instance: Instance, timeout: float = 900.0) -> None:
        """Wait until recovery (a snapshot's WAL, or up to a PITR target) ended and the server was promoted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._sql(instance, "SELECT pg_is_in_recovery();\n", what="").strip() == "f":
                    return
            except PostgresError:
                if not (instance.data / "postmaster.pid").exists():
                    lines = instance.log.read_text(errors="replace").splitlines() if instance.log.exists() else []
                    fatal = [line for line in lines if "FATAL:" in line or "PANIC:" in line]
                    raise PostgresError(
                        f"recovery of {instance.key} failed: {' / '.join((fatal or lines)[-3:])}"
                    ) from None
            time.sleep(0.2)
        raise PostgresError(f"recovery of {instance.key} did not finish in {timeout:.0f} s")

    def restorable_window(self, key: str) -> tuple[float, float | None]:
        instance = self.get(key)
        return instance.earliest, instance.latest

    def _beat(self, instance: Instance) -> None:
        # Each -c is its own transaction: the beat commits, then its segment is named, then the
        # segment is switched so the archiver copies it now (archive_timeout is the safety net).
        statements = (
            "UPDATE heartbeat SET beat = clock_timestamp() RETURNING extract(epoch FROM beat)",
            "SELECT pg_walfile_name(pg_current_wal_insert_lsn()), coalesce(last_archived_wal, '') "
            "FROM pg_stat_archiver",
            "SELECT pg_switch_wal() IS NOT NULL",
        )
        command = [*self._psql(instance.socket_dir, instance.port, "rdsadmin"), "-F", " "]
        for statement in statements:
            command += ["-c", statement]
        out = self._run(command, what=f"heartbeat of {instance.key}")
        lines = out.splitlines()
        beat = float(lines[0])
        segment, _, archived = lines[1].partition(" ")
        instance.beats.append((beat, segment))
        done = [b for b in instance.beats if archived and b[1] <= archived]
        if done:
            instance.latest = max(instance.latest or 0.0, *(b[0] for b in done))
            instance.beats = [b for b in instance.beats if not (archived and b[1] <= archived)]

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            interval = DEFAULT_ARCHIVE_TIMEOUT
            with contextlib.suppress(PostgresError):
                interval = archive_timeout()
            with self._lock:
                running = list(self.instances.values())
            for instance in running:
                try:
                    self._beat(instance)
                except (PostgresError, ValueError, IndexError) as exc:
                    if instance.key in self.instances:
                        log.debug("heartbeat of %s: %s", instance.key, exc)
            self._stop.wait(interval)

    def _ensure_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._stop.clear()
                self._heartbeat = threading.Thread(
                    target=self._heartbeat_loop, name="localaws-rds-heartbeat", daemon=True
                )
                self._heartbeat.start()

    # -- reset and shutdown ----------------------------------------------------------------

    def drop(self, prefix: str) -> None:
        """Remove every instance and snapshot whose key starts with ``prefix`` (moto reset)."""
        with self._lock:
            instances = [i for k, i in self.instances.items() if k.startswith(prefix)]
            snapshots = [k for k in self.snapshots if k.startswith(prefix)]
            for instance in instances:
                self.instances.pop(instance.key, None)
        for instance in instances:
            self._destroy(instance)
        for key in snapshots:
            self.delete_snapshot(key)

    def shutdown(self) -> None:
        self._stop.set()
        self.drop("")
        with self._lock:
            root, temp = self._root, self._root_is_temp
        if root is not None and temp:
            shutil.rmtree(root, ignore_errors=True)
            with self._lock:
                self._root = None
                self._template_ready = False


_engine: dict[str, Engine] = {}
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The endpoint's engine (one per process)."""
    with _engine_lock:
        if "engine" not in _engine:
            _engine["engine"] = Engine()
        return _engine["engine"]


def shutdown() -> None:
    with _engine_lock:
        current = _engine.pop("engine", None)
    if current is not None:
        current.shutdown()


atexit.register(shutdown)
