"""The local endpoint's RDS holds real data: instances, snapshots, copies and point-in-time restores.

Each DB instance is a real PostgreSQL cluster (tools/localaws/rds/postgres.py); these tests go
through boto3 to the endpoint and through asyncpg to the instance's reported Endpoint.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import reset_localaws
from tests.localaws.conftest import NO_RETRY
from tools.localaws.rds import postgres

PASSWORD = "Local-Master-Pw-1"  # a throwaway password of a throwaway local cluster
USER = "invoice"
DB = "invoices"


@pytest.fixture
def rds(localaws: str) -> Callable[..., Any]:
    def client(region: str = "us-east-1") -> Any:
        return boto3.client("rds", region_name=region, endpoint_url=localaws, config=NO_RETRY)

    return client


def create(client: Any, identifier: str, **extra: Any) -> dict[str, Any]:
    params = {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": "db.t4g.micro",
        "Engine": "postgres",
        "EngineVersion": "15.5",
        "AllocatedStorage": 20,
        "MasterUsername": USER,
        "MasterUserPassword": PASSWORD,
        "DBName": DB,
        "Port": 5432,
        "BackupRetentionPeriod": 7,
        **extra,
    }
    return client.create_db_instance(**params)["DBInstance"]


def endpoint(client: Any, identifier: str) -> dict[str, Any]:
    return client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["Endpoint"]


def run(ep: dict[str, Any], sql: str, *args: Any, password: str = PASSWORD, database: str = DB) -> list[Any]:
    async def go() -> list[Any]:
        conn = await asyncpg.connect(
            host=ep["Address"], port=ep["Port"], user=USER, password=password, database=database, ssl="require"
        )
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(go())


def write(ep: dict[str, Any], *names: str) -> None:
    run(ep, "CREATE TABLE IF NOT EXISTS invoices (id serial PRIMARY KEY, vendor text NOT NULL)")
    for name in names:
        run(ep, "INSERT INTO invoices (vendor) VALUES ($1)", name)


def vendors(ep: dict[str, Any]) -> list[str]:
    return [r[0] for r in run(ep, "SELECT vendor FROM invoices ORDER BY id")]


def refused(ep: dict[str, Any]) -> bool:
    try:
        run(ep, "SELECT 1")
    except (OSError, asyncpg.PostgresError):
        return True
    return False


def wait_restorable(client: Any, identifier: str, after: datetime, timeout: float = 180.0) -> datetime:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0].get(
            "LatestRestorableTime"
        )
        if latest is not None and latest >= after:
            return latest
        time.sleep(0.3)
    raise AssertionError(f"LatestRestorableTime of {identifier} never reached {after}")


def wait_available(client: Any, identifier: str) -> None:
    client.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def test_an_instance_is_a_real_database_that_needs_its_master_password(rds: Callable[..., Any]) -> None:
    client = rds()
    created = create(client, "db-one")
    other = create(client, "db-two")
    ep, ep2 = created["Endpoint"], other["Endpoint"]
    # its own loopback address, at the port it was created with: where a client connects
    assert ep["Port"] == 5432 and ep["Address"].startswith("127.") and ep["Address"] != "127.0.0.1"
    assert ep2["Port"] == 5432 and ep2["Address"] != ep["Address"]
    assert endpoint(client, "db-one") == ep
    assert created["DBInstanceStatus"] == "available"
    assert run(ep, "SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == [
        (USER, DB, True)
    ]
    with pytest.raises(asyncpg.InvalidPasswordError):
        run(ep, "SELECT 1", password="not-the-password")
    # two instances, two databases: rows written to one are not in the other
    write(ep, "acme")
    write(ep2)
    assert vendors(ep) == ["acme"] and vendors(ep2) == []
    # stopped, the server refuses connections; started again, the rows are there
    client.stop_db_instance(DBInstanceIdentifier="db-one")
    assert refused(ep)
    client.start_db_instance(DBInstanceIdentifier="db-one")
    assert vendors(ep) == ["acme"]
    # a new master password is applied; the old one stops working
    client.modify_db_instance(DBInstanceIdentifier="db-two", MasterUserPassword="Another-Pw-22", ApplyImmediately=True)
    assert run(ep2, "SELECT 1", password="Another-Pw-22") == [(1,)]
    with pytest.raises(asyncpg.InvalidPasswordError):
        run(ep2, "SELECT 1")
    # deleting drops the database
    client.delete_db_instance(DBInstanceIdentifier="db-two", SkipFinalSnapshot=True)
    assert refused(ep2)


def test_a_password_is_required(rds: Callable[..., Any]) -> None:
    client = rds()
    with pytest.raises(ClientError) as error:
        create(client, "db-nopw", MasterUserPassword="")
    assert error.value.response["Error"]["Code"] in {"InvalidParameterValue", "ValidationError"}
    assert client.describe_db_instances()["DBInstances"] == []


def test_snapshot_restore_final_snapshot_and_copy_hold_the_rows(rds: Callable[..., Any]) -> None:
    client = rds()
    ep = create(client, "db-src")["Endpoint"]
    write(ep, "acme", "globex")
    snap = client.create_db_snapshot(DBInstanceIdentifier="db-src", DBSnapshotIdentifier="snap-1")["DBSnapshot"]
    assert snap["Status"] == "available"
    write(ep, "initech")

    restored = client.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db-restored", DBSnapshotIdentifier="snap-1"
    )["DBInstance"]
    wait_available(client, "db-restored")
    rep = endpoint(client, "db-restored")
    assert restored["Endpoint"] == rep and rep["Address"] != ep["Address"]
    # the copy as it was at the snapshot, with the original master password; the source goes on
    assert vendors(rep) == ["acme", "globex"]
    assert vendors(ep) == ["acme", "globex", "initech"]
    write(rep, "hooli")
    assert vendors(ep) == ["acme", "globex", "initech"]
    # a restored instance has its own backups: point-in-time restore of it (after a cutover, it is the live one)
    wait_restorable(client, "db-restored", datetime.now(UTC))
    client.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="db-restored",
        TargetDBInstanceIdentifier="db-restored-pitr",
        UseLatestRestorableTime=True,
    )
    assert vendors(endpoint(client, "db-restored-pitr")) == ["acme", "globex", "hooli"]

    # delete with a final snapshot: the database is gone, the snapshot keeps its rows
    client.delete_db_instance(
        DBInstanceIdentifier="db-src", SkipFinalSnapshot=False, FinalDBSnapshotIdentifier="src-final"
    )
    assert refused(ep)
    # copied to another region (re-encrypted with a key there); the copy does not depend on the source
    west = rds("us-west-2")
    key = boto3.client("kms", region_name="us-west-2").create_key()["KeyMetadata"]["KeyId"]
    source_arn = client.describe_db_snapshots(DBSnapshotIdentifier="src-final")["DBSnapshots"][0]["DBSnapshotArn"]
    west.copy_db_snapshot(
        SourceDBSnapshotIdentifier=source_arn,
        TargetDBSnapshotIdentifier="src-final-west",
        KmsKeyId=key,
        SourceRegion="us-east-1",
    )
    client.delete_db_snapshot(DBSnapshotIdentifier="src-final")
    west.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="db-west", DBSnapshotIdentifier="src-final-west")
    wait_available(west, "db-west")
    assert vendors(endpoint(west, "db-west")) == ["acme", "globex", "initech"]
    with pytest.raises(ClientError) as error:
        client.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="db-gone", DBSnapshotIdentifier="src-final")
    assert error.value.response["Error"]["Code"] == "DBSnapshotNotFound"


def test_point_in_time_restore_replays_the_wal_up_to_the_restore_time(rds: Callable[..., Any]) -> None:
    client = rds()
    ep = create(client, "db-pitr")["Endpoint"]
    write(ep, "before-1", "before-2")
    time.sleep(1.2)
    between = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.2)
    write(ep, "after")
    after = datetime.now(UTC)
    first = wait_restorable(client, "db-pitr", between)
    latest = wait_restorable(client, "db-pitr", after)
    assert latest > first  # LatestRestorableTime moves forward, and is never in the future
    assert latest <= datetime.now(UTC)

    client.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="db-pitr", TargetDBInstanceIdentifier="db-at-time", RestoreTime=between
    )
    wait_available(client, "db-at-time")
    assert vendors(endpoint(client, "db-at-time")) == ["before-1", "before-2"]

    client.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier="db-pitr", TargetDBInstanceIdentifier="db-latest", UseLatestRestorableTime=True
    )
    wait_available(client, "db-latest")
    lep = endpoint(client, "db-latest")
    assert vendors(lep) == ["before-1", "before-2", "after"]
    # the restored instance is a writable primary with its own backups
    write(lep, "later")
    assert vendors(lep)[-1] == "later"
    wait_restorable(client, "db-latest", datetime.now(UTC) - timedelta(seconds=1))


def test_restore_times_outside_the_window_are_refused(rds: Callable[..., Any]) -> None:
    client = rds()
    create(client, "db-win")
    create(client, "db-nobackup", BackupRetentionPeriod=0)
    now = datetime.now(UTC)
    latest = wait_restorable(client, "db-win", now - timedelta(seconds=1))
    # the window the automated backups report is the one enforced
    (backup,) = client.describe_db_instance_automated_backups(DBInstanceIdentifier="db-win")[
        "DBInstanceAutomatedBackups"
    ]
    window = backup["RestoreWindow"]
    # EarliestTime is the first whole second after the base backup, which may end less than a
    # second before `now`: its second, rounded up, can be after `now` (it failed CI that way)
    assert window["EarliestTime"] <= now + timedelta(seconds=1) and window["LatestTime"] >= latest
    cases = [
        ({"RestoreTime": now + timedelta(hours=1)}, "InvalidRestoreFault"),
        ({"RestoreTime": now - timedelta(days=1)}, "InvalidRestoreFault"),
        ({"RestoreTime": now, "UseLatestRestorableTime": True}, "InvalidParameterCombination"),
    ]
    for extra, code in cases:
        with pytest.raises(ClientError) as error:
            client.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier="db-win", TargetDBInstanceIdentifier="db-never", **extra
            )
        assert error.value.response["Error"]["Code"] == code, extra
    with pytest.raises(ClientError) as error:
        client.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier="db-nobackup",
            TargetDBInstanceIdentifier="db-never",
            UseLatestRestorableTime=True,
        )
    assert error.value.response["Error"]["Code"] == "PointInTimeRestoreNotEnabled"
    names = [d["DBInstanceIdentifier"] for d in client.describe_db_instances()["DBInstances"]]
    assert sorted(names) == ["db-nobackup", "db-win"]


def test_states_move_from_creating_to_available(rds: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALAWS_RDS_DELAY", "1.5")
    client = rds()
    assert create(client, "db-slow")["DBInstanceStatus"] == "creating"
    snap = client.create_db_snapshot(DBInstanceIdentifier="db-slow", DBSnapshotIdentifier="slow-snap")["DBSnapshot"]
    assert snap["Status"] == "creating"
    with pytest.raises(ClientError) as error:
        client.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="db-early", DBSnapshotIdentifier="slow-snap")
    assert error.value.response["Error"]["Code"] == "InvalidDBSnapshotState"
    wait_available(client, "db-slow")
    client.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier="slow-snap", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


def test_reset_drops_every_cluster_and_snapshot(rds: Callable[..., Any], localaws: str) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("looks at the in-process endpoint's clusters (LOCALAWS_URL points at another one)")
    client = rds()
    ep = create(client, "db-reset")["Endpoint"]
    client.create_db_snapshot(DBInstanceIdentifier="db-reset", DBSnapshotIdentifier="reset-snap")
    engine = postgres.engine()
    homes = [i.home for i in engine.instances.values()] + [s.home for s in engine.snapshots.values()]
    assert homes and all(h.exists() for h in homes)
    reset_localaws(localaws)
    assert refused(ep)
    assert not engine.instances and not engine.snapshots
    assert not any(h.exists() for h in homes)
