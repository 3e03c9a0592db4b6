"""RDS that holds real data: every PostgreSQL DB instance is a real cluster (``rds/postgres.py``).

moto's RDSBackend keeps the books (validation, ARNs, tags, describe output); these patches
make each bookkeeping entry real and report what really happened:

* ``CreateDBInstance`` (engine ``postgres``) starts a cluster with the master user
  (``MasterUserPassword``, or the password of the secret ``ManageMasterUserPassword`` made) and
  ``DBName``; ``Endpoint`` is its loopback address and the instance's port.
* ``CreateDBSnapshot`` (and a final snapshot of ``DeleteDBInstance``) takes a physical copy;
  ``CopyDBSnapshot`` (any region) copies it; ``DeleteDBSnapshot`` removes it;
  ``RestoreDBInstanceFromDBSnapshot`` starts a new instance from it.
* ``RestoreDBInstanceToPointInTime`` replays the source's archived WAL up to ``RestoreTime``
  (or ``UseLatestRestorableTime``) into a new instance; a time outside
  [earliest, ``LatestRestorableTime``] is refused with ``InvalidRestoreFault``, a source without
  backups (``BackupRetentionPeriod`` 0) with ``PointInTimeRestoreNotEnabled``.
* ``ModifyDBInstance`` applies a new ``MasterUserPassword``, ``DBPortNumber`` or identifier;
  ``StopDBInstance``/``StartDBInstance``/``RebootDBInstance`` stop, start and restart the
  server; ``DeleteDBInstance`` stops and removes the cluster; ``/moto-api/reset`` removes every cluster
  and snapshot of the region.
* States: instances and snapshots are ``creating`` for ``LOCALAWS_RDS_DELAY`` seconds (default
  0) after the real work is done, then ``available``. The work itself is done before the
  call answers, so ``available`` always means the data is there. amazon.aws' waiters poll
  every 60 s, which is why the default delay is 0.

Engines other than postgres stay bookkeeping only.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from tools.localaws.rds import postgres

DELAY_ENV = "LOCALAWS_RDS_DELAY"
_restoring = threading.local()


def operation_delay() -> float:
    raw = os.environ.get(DELAY_ENV, "0")
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{DELAY_ENV} must be a number of seconds, got {raw!r}") from exc
    return max(0.0, value)


def _key(backend: Any, identifier: str) -> str:
    return f"{backend.account_id}/{backend.region_name}/{identifier}"


def _is_real(database: Any) -> bool:
    return str(getattr(database, "engine", "")).lower() == "postgres" and not getattr(database, "is_replica", False)


def _master_password(database: Any) -> str:
    if getattr(database, "manage_master_user_password", False):
        import json  # noqa: PLC0415

        return str(json.loads(database.master_user_secret.secret.secret_string)["password"])
    return str(database.__dict__.get("_master_user_password") or "")


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def register() -> None:  # noqa: PLR0915 (one patch per RDS operation, kept together)
    """Patch moto's RDS backend and models (idempotent)."""
    from moto.rds import exceptions  # noqa: PLC0415
    from moto.rds.models import DBInstance, DBInstanceAutomatedBackup, DBSnapshot, RDSBackend  # noqa: PLC0415

    if getattr(RDSBackend, "_localaws_rds_real", False):
        return
    RDSClientError = exceptions.RDSClientError

    def failed(code: str, message: str) -> Exception:
        return RDSClientError(code, message)

    # -- states: creating for the delay, then what moto says -------------------------------

    def _status_get(self: Any) -> str:
        status = self.__dict__.get("_localaws_status", "available")
        if status == "available" and time.time() < self.__dict__.get("_localaws_ready_at", 0.0):
            return "creating"
        return status

    def _status_set(self: Any, value: str) -> None:
        self.__dict__["_localaws_status"] = value

    DBInstance.status = property(_status_get, _status_set)  # type: ignore[assignment,method-assign]
    DBSnapshot.status = property(_status_get, _status_set)  # type: ignore[assignment,method-assign]

    original_address = DBInstance.address

    def address(self: Any) -> str:
        key = self.__dict__.get("_localaws_key")
        if key:
            try:
                return postgres.engine().get(key).address
            except postgres.PostgresError:
                pass
        return str(original_address.fget(self))  # type: ignore[attr-defined]

    def latest_restorable_time(self: Any) -> datetime | None:
        key = self.__dict__.get("_localaws_key")
        if not key:
            return datetime.now(UTC)
        try:
            _earliest, latest = postgres.engine().restorable_window(key)
        except postgres.PostgresError:
            return None
        return None if latest is None else datetime.fromtimestamp(int(latest), UTC)

    def restore_window(self: Any) -> dict[str, datetime] | None:
        """DescribeDBInstanceAutomatedBackups' RestoreWindow: the same window PITR enforces."""
        try:
            earliest, latest = postgres.engine().restorable_window(_key(self.backend, self.db_instance_identifier))
        except postgres.PostgresError:
            return None
        window = {"EarliestTime": datetime.fromtimestamp(int(earliest) + 1, UTC)}
        if latest is not None:
            window["LatestTime"] = datetime.fromtimestamp(int(latest), UTC)
        return window

    DBInstanceAutomatedBackup.restore_window = property(restore_window)  # type: ignore[attr-defined]
    DBInstance.address = property(address)  # type: ignore[assignment,method-assign]
    DBInstance.latest_restorable_time = property(latest_restorable_time)  # type: ignore[assignment,method-assign]

    # -- instances -------------------------------------------------------------------------

    original_create = RDSBackend.create_db_instance

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        database = original_create(self, db_kwargs)
        if not _is_real(database):
            return database
        key = _key(self, database.db_instance_identifier)
        source = getattr(_restoring, "source", None)
        engine = postgres.engine()
        if source is None and not _master_password(database):
            self.databases.pop(database.db_instance_identifier, None)
            raise failed(
                "InvalidParameterValue", "The parameter MasterUserPassword must be provided and must not be blank."
            )
        try:
            if source is None:
                engine.create_instance(
                    key, int(database.port), database.master_username, _master_password(database), database.db_name
                )
            elif source[0] == "snapshot":
                engine.restore_snapshot(source[1], key, int(database.port))
            else:
                engine.restore_to_time(source[1], key, int(database.port), source[2])
        except postgres.PostgresError as exc:
            self.databases.pop(database.db_instance_identifier, None)
            raise failed("InsufficientDBInstanceCapacity", f"the local PostgreSQL could not serve it: {exc}") from exc
        database.__dict__["_localaws_key"] = key
        database.__dict__["_localaws_ready_at"] = time.time() + operation_delay()
        return database

    original_delete = RDSBackend.delete_db_instance

    def delete_db_instance(self: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
        database = original_delete(self, db_instance_identifier, *args, **kwargs)
        postgres.engine().delete_instance(_key(self, db_instance_identifier))
        return database

    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
        new_id = db_kwargs.get("new_db_instance_identifier")
        password = db_kwargs.get("master_user_password")
        port = db_kwargs.get("db_port_number")
        database = original_modify(self, db_instance_identifier, db_kwargs)
        key = database.__dict__.get("_localaws_key")
        if not key:
            return database
        engine = postgres.engine()
        try:
            if new_id:
                new_key = _key(self, new_id)
                engine.rename(key, new_key)
                database.__dict__["_localaws_key"] = key = new_key
            if password:
                engine.set_password(key, database.master_username, str(password))
            if port:
                engine.change_port(key, int(port))
                database.port = int(port)
        except postgres.PostgresError as exc:
            raise failed("InvalidDBInstanceState", f"the local PostgreSQL could not apply it: {exc}") from exc
        return database

    def _lifecycle(name: str, action: str) -> None:
        original = getattr(RDSBackend, name)

        def patched(self: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
            database = original(self, db_instance_identifier, *args, **kwargs)
            key = database.__dict__.get("_localaws_key")
            if key:
                try:
                    getattr(postgres.engine(), action)(key)
                except postgres.PostgresError as exc:
                    raise failed("InvalidDBInstanceState", f"the local PostgreSQL could not do it: {exc}") from exc
            return database

        setattr(RDSBackend, name, patched)

    _lifecycle("stop_db_instance", "stop_instance")
    _lifecycle("start_db_instance", "start_instance")
    _lifecycle("reboot_db_instance", "reboot_instance")

    # -- snapshots -------------------------------------------------------------------------

    original_snapshot = RDSBackend.create_db_snapshot

    def create_db_snapshot(
        self: Any,
        db_instance_identifier: str,
        db_snapshot_identifier: str,
        snapshot_type: str = "manual",
        **kwargs: Any,
    ) -> Any:
        snapshot = original_snapshot(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, **kwargs)
        database = self.databases.get(db_instance_identifier)
        instance_key = database.__dict__.get("_localaws_key") if database is not None else None
        if snapshot_type != "manual" or not instance_key:
            return snapshot  # automated snapshots: point-in-time recovery holds that data
        _store_locally(self, snapshot, postgres.engine().snapshot, instance_key, "InvalidDBInstanceState", "snapshot")
        return snapshot

    def _store_locally(  # noqa: PLR0917 (two callers inside this function)
        self: Any, snapshot: Any, store: Any, source_key: str, error_code: str, what: str
    ) -> None:
        """Give ``snapshot`` its local data, ``store(source_key, key)``; when that fails, forget it and raise."""
        key = _key(self, snapshot.db_snapshot_identifier)
        try:
            store(source_key, key)
        except postgres.PostgresError as exc:
            self.database_snapshots.pop(snapshot.db_snapshot_identifier, None)
            raise failed(error_code, f"the local {what} failed: {exc}") from exc
        snapshot.__dict__["_localaws_key"] = key
        snapshot.__dict__["_localaws_ready_at"] = time.time() + operation_delay()

    def _snapshot_key(self: Any, identifier: str) -> tuple[Any, str | None]:
        snapshot = self.get_db_snapshot(identifier)
        return snapshot, snapshot.__dict__.get("_localaws_key")

    original_copy = RDSBackend.copy_db_snapshot

    def copy_db_snapshot(
        self: Any, source_db_snapshot_identifier: str, target_db_snapshot_identifier: str, *args: Any, **kwargs: Any
    ) -> Any:
        _source, source_key = _snapshot_key(self, source_db_snapshot_identifier)
        target = original_copy(self, source_db_snapshot_identifier, target_db_snapshot_identifier, *args, **kwargs)
        if source_key:
            _store_locally(self, target, postgres.engine().copy_snapshot, source_key, "InvalidDBSnapshotState", "copy")
        return target

    original_delete_snapshot = RDSBackend.delete_db_snapshot

    def delete_db_snapshot(self: Any, db_snapshot_identifier: str) -> Any:
        snapshot = original_delete_snapshot(self, db_snapshot_identifier)
        key = snapshot.__dict__.get("_localaws_key")
        if key:
            postgres.engine().delete_snapshot(key)
        return snapshot

    original_restore_snapshot = RDSBackend.restore_db_instance_from_db_snapshot

    def restore_db_instance_from_db_snapshot(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        snapshot, key = _snapshot_key(self, from_snapshot_id)
        if _is_real(snapshot.database):
            if not key:
                raise failed(
                    "InvalidDBSnapshotState",
                    f"DB snapshot {snapshot.db_snapshot_identifier} holds no data on this local endpoint "
                    "(automated snapshots are not copied here: restore the instance to a point in time instead)",
                )
            if snapshot.status != "available":
                raise failed(
                    "InvalidDBSnapshotState",
                    f"DB snapshot {snapshot.db_snapshot_identifier} is {snapshot.status}, not available",
                )
        _restoring.source = ("snapshot", key) if key else None
        try:
            return original_restore_snapshot(self, from_snapshot_id, overrides)
        finally:
            _restoring.source = None

    original_restore_time = RDSBackend.restore_db_instance_to_point_in_time

    def restore_db_instance_to_point_in_time(
        self: Any, source_db_identifier: str, target_db_identifier: str, overrides: dict[str, Any]
    ) -> Any:
        source = self.describe_db_instances(db_instance_identifier=source_db_identifier)[0]
        source_key = source.__dict__.get("_localaws_key")
        restore_time = overrides.pop("restore_time", None)
        use_latest = bool(overrides.pop("use_latest_restorable_time", False))
        if not source_key:
            return original_restore_time(self, source_db_identifier, target_db_identifier, overrides)
        if restore_time is not None and use_latest:
            raise failed("InvalidParameterCombination", "Cannot specify both RestoreTime and UseLatestRestorableTime")
        if restore_time is None and not use_latest:
            raise failed("InvalidParameterCombination", "Specify RestoreTime or UseLatestRestorableTime")
        if not int(source.backup_retention_period or 0):
            raise failed(
                "PointInTimeRestoreNotEnabled",
                f"DB instance {source_db_identifier} has BackupRetentionPeriod 0: point-in-time restore is not enabled",
            )
        earliest, latest = postgres.engine().restorable_window(source_key)
        if latest is None:
            raise failed(
                "InvalidRestoreFault",
                f"DB instance {source_db_identifier} has no restorable time yet (its first WAL is being archived)",
            )
        latest = float(int(latest))  # reported (and restorable) to the second
        target = latest if use_latest else _epoch(restore_time)
        if not earliest <= target <= latest:
            window = " - ".join(
                datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in (earliest, latest)
            )
            asked = datetime.fromtimestamp(target, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise failed(
                "InvalidRestoreFault",
                f"RestoreTime {asked} is outside the restorable window of DB instance "
                f"{source_db_identifier} ({window})",
            )
        _restoring.source = ("pitr", source_key, target)
        try:
            return original_restore_time(self, source_db_identifier, target_db_identifier, overrides)
        finally:
            _restoring.source = None

    # -- reset -----------------------------------------------------------------------------

    original_reset = RDSBackend.reset

    def reset(self: Any) -> None:
        postgres.engine().drop(f"{self.account_id}/{self.region_name}/")
        original_reset(self)

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.delete_db_instance = delete_db_instance  # type: ignore[method-assign]
    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]
    RDSBackend.create_db_snapshot = create_db_snapshot  # type: ignore[method-assign]
    RDSBackend.copy_db_snapshot = copy_db_snapshot  # type: ignore[method-assign]
    RDSBackend.delete_db_snapshot = delete_db_snapshot  # type: ignore[method-assign]
    RDSBackend.restore_db_instance_from_db_snapshot = restore_db_instance_from_db_snapshot  # type: ignore[method-assign]
    RDSBackend.restore_db_instance_to_point_in_time = restore_db_instance_to_point_in_time  # type: ignore[method-assign]
    RDSBackend.reset = reset  # type: ignore[method-assign]
    RDSBackend._localaws_rds_real = True  # type: ignore[attr-defined]
