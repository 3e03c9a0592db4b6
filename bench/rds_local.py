"""How fast the local endpoint's real RDS is: ``python -m bench.rds_local [--mb 100]``.

Starts its own endpoint (``tools.localaws``) on a free loopback port, then measures, through
boto3 as a playbook would call it:

* ``CreateDBInstance`` latency (median of ``--creates``, the template already built), against a
  baseline in the same run: the same call for a bookkeeping-only instance (engine ``mariadb``,
  which stays moto's books);
* ``CreateDBSnapshot``, ``RestoreDBInstanceFromDBSnapshot`` and ``RestoreDBInstanceToPointInTime``
  (``UseLatestRestorableTime``) of an instance holding about ``--mb`` MB, each until
  ``available`` and checked by counting the rows of the restored copy, against a baseline: a
  plain ``cp -a`` of the snapshot's files (median of three; the least any physical copy costs
  here).

Prints a table and writes ``bench/results/rds-<timestamp>.json``. Only 127.0.0.0/8 is used;
everything it starts is stopped and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import boto3
from botocore.config import Config

from tools.localaws import LocalAWS
from tools.localaws.rds import postgres

PASSWORD = "bench-master-pw-1"  # a throwaway local cluster's
RESULTS = Path(__file__).resolve().parent / "results"


def _instance(client: Any, identifier: str, engine: str = "postgres") -> dict[str, Any]:
    return client.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.micro",
        Engine=engine,
        EngineVersion="15.5" if engine == "postgres" else "10.11.6",
        AllocatedStorage=20,
        MasterUsername="bench",
        MasterUserPassword=PASSWORD,
        DBName="bench",
        BackupRetentionPeriod=7,
    )["DBInstance"]


async def _sql(ep: dict[str, Any], sql: str) -> Any:
    conn = await asyncpg.connect(
        host=ep["Address"], port=ep["Port"], user="bench", password=PASSWORD, database="bench", ssl="require"
    )
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def _wait_available(client: Any, identifier: str) -> None:
    client.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 0.2, "MaxAttempts": 3000}
    )


def _endpoint(client: Any, identifier: str) -> dict[str, Any]:
    return dict(client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["Endpoint"])


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(mb: int, creates: int) -> dict[str, Any]:
    server = LocalAWS("127.0.0.1", 0, rds_archive_timeout=1).start()
    try:
        client = boto3.client(
            "rds",
            region_name="us-east-1",
            endpoint_url=server.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=900),
        )
        postgres.engine().template()  # built once per endpoint; not what a CreateDBInstance costs
        real = [_timed(lambda n=n: _instance(client, f"bench-create-{n}")) for n in range(creates)]
        books = [_timed(lambda n=n: _instance(client, f"bench-books-{n}", "mariadb")) for n in range(creates)]
        for n in range(creates):
            client.delete_db_instance(DBInstanceIdentifier=f"bench-create-{n}", SkipFinalSnapshot=True)

        ep = _instance(client, "bench-src")["Endpoint"]
        rows = max(1, mb * 1024 * 1024 // 300)  # about 300 bytes per row on disk
        asyncio.run(
            _sql(
                ep,
                "CREATE TABLE payload AS SELECT g AS id, md5(g::text) || repeat('x', 200) AS body "  # rows: an int  # nosec B608
                f"FROM generate_series(1, {rows}) g",
            )
        )
        size = int(asyncio.run(_sql(ep, "SELECT pg_database_size('bench')")))
        snapshot = _timed(
            lambda: client.create_db_snapshot(DBInstanceIdentifier="bench-src", DBSnapshotIdentifier="bench-snap")
        )
        # the baseline: copying the snapshot's files (the same bytes, not changing under cp)
        snap_data = postgres.engine().snapshots["123456789012/us-east-1/bench-snap"].data
        copies = []
        for _ in range(3):  # the median of three, so a cold page cache does not count
            scratch = Path(tempfile.mkdtemp(prefix="bench-rds-copy-"))
            try:
                target = str(scratch / "data")
                copies.append(_timed(lambda t=target: subprocess.run(["cp", "-a", str(snap_data), t], check=True)))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        baseline = statistics.median(copies)

        def restore_snapshot() -> None:
            client.restore_db_instance_from_db_snapshot(
                DBInstanceIdentifier="bench-from-snap", DBSnapshotIdentifier="bench-snap"
            )
            _wait_available(client, "bench-from-snap")

        from_snapshot = _timed(restore_snapshot)
        assert asyncio.run(_sql(_endpoint(client, "bench-from-snap"), "SELECT count(*) FROM payload")) == rows

        loaded = datetime.now(UTC)
        while (
            client.describe_db_instances(DBInstanceIdentifier="bench-src")["DBInstances"][0].get("LatestRestorableTime")
            or datetime.min.replace(tzinfo=UTC)
        ) < loaded:
            time.sleep(0.5)

        def restore_pitr() -> None:
            client.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier="bench-src",
                TargetDBInstanceIdentifier="bench-pitr",
                UseLatestRestorableTime=True,
            )
            _wait_available(client, "bench-pitr")

        pitr = _timed(restore_pitr)
        assert asyncio.run(_sql(_endpoint(client, "bench-pitr"), "SELECT count(*) FROM payload")) == rows
        return {
            "database_mb": round(size / 1024 / 1024, 1),
            "create_db_instance_s": round(statistics.median(real), 3),
            "create_db_instance_bookkeeping_s": round(statistics.median(books), 3),
            "create_ratio_vs_bookkeeping": round(statistics.median(real) / statistics.median(books), 1),
            "copy_snapshot_files_baseline_s": round(baseline, 2),
            "create_db_snapshot_s": round(snapshot, 2),
            "restore_from_snapshot_s": round(from_snapshot, 2),
            "restore_to_point_in_time_s": round(pitr, 2),
            "snapshot_ratio_vs_copy": round(snapshot / baseline, 1),
            "restore_from_snapshot_ratio_vs_copy": round(from_snapshot / baseline, 1),
            "restore_to_point_in_time_ratio_vs_copy": round(pitr / baseline, 1),
        }
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rds_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the database to snapshot and restore (MB)")
    parser.add_argument("--creates", type=int, default=5, help="CreateDBInstance calls to take the median of")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/rds-<timestamp>.json)")
    args = parser.parse_args(argv)
    if args.mb < 1 or args.creates < 1:
        parser.error("--mb and --creates must be at least 1")
    result = run(args.mb, args.creates)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    output = args.output or RESULTS / f"rds-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
