"""The database tier: RDS PostgreSQL in the network tier's private subnets, credentials in Secrets Manager.

Needs the local endpoint's RDS parameter-group and gp3 fixes (moto 5.2 answers an unknown
DescribeDBParameterGroups with an empty list, lists no engine-default parameters and leaves
StorageThroughput out of gp3 instances; amazon.aws's modules fail on all three).
"""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from typing import Any

import asyncpg
import boto3
import pytest

from tests.playbooks.helpers import assert_fails_in_preflight, run_clean, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/database.yml"
SECRET = "invoice-local-database-master"


def instances() -> list[dict[str, Any]]:
    return boto3.client("rds").describe_db_instances()["DBInstances"]


def _run(coroutine: Any) -> Any:
    """asyncio.run for the logins below. asyncpg can leave the TCP transport under a TLS
    connection (always under a refused login) to the garbage collector, whose ResourceWarning
    would then fail whichever test is running (filterwarnings=error) at a moment that depends
    on the machine's load: it is collected here, with just that warning ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return asyncio.run(coroutine)
        finally:
            gc.collect()


def _refused(endpoint: dict[str, Any], secret: dict[str, Any]) -> bool:
    """Whether the login with ``secret`` is refused for its password."""
    try:
        _run(_login(endpoint, secret))
    except asyncpg.InvalidPasswordError:
        return True
    return False


async def _query(endpoint: dict[str, Any], secret: dict[str, Any], *statements: str) -> list[Any]:
    """Log in at the instance's endpoint with the master secret, as the API does (TLS required), and
    run ``statements``; the rows of the last one."""
    conn = await asyncpg.connect(
        host=endpoint["Address"],
        port=endpoint["Port"],
        user=secret["username"],
        password=secret["password"],
        database=secret["dbname"],
        ssl="require",
    )
    try:
        rows: list[Any] = []
        for sql in statements:
            rows = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


async def _login(endpoint: dict[str, Any], secret: dict[str, Any]) -> tuple[str, str]:
    (row,) = await _query(endpoint, secret, "SELECT current_user, current_database()")
    return (row[0], row[1])


def test_refuses_to_run_without_the_network_tier(localaws: str) -> None:
    reset_calls(localaws)
    run = run_playbook(PLAYBOOK)
    assert run.rc != 0
    assert any("run playbooks/network.yml first" in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["mutating"]] == []
    # In check mode (a plan of the whole stack on an empty account) it reports instead.
    plan, writes = run_clean(localaws, PLAYBOOK, check=True)
    assert writes == [] and plan.changed == 2, plan.changed_tasks()
    assert "Write the outputs file" in plan.changed_tasks()  # planned, not written


def test_plan_create_noop_and_one_change(localaws: str) -> None:
    network, _ = run_clean(localaws, "playbooks/network.yml")
    net = network.task("Publish the network outputs")["ansible_facts"]["platform_outputs_network"]

    _, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == []
    assert instances() == []

    created, writes = run_clean(localaws, PLAYBOOK)
    assert {"rds.CreateDBInstance", "secretsmanager.CreateSecret", "rds.CreateDBParameterGroup"} <= set(writes)
    (db,) = instances()
    assert db["StorageEncrypted"] and not db["PubliclyAccessible"]
    assert db["Engine"] == "postgres" and db["EngineVersion"].startswith("17")
    assert db["BackupRetentionPeriod"] == 1
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [net["database_security_group_id"]]
    assert sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]) == sorted(net["private_subnet_ids"])
    params = boto3.client("rds").describe_db_parameters(DBParameterGroupName="invoice-local-postgres17")["Parameters"]
    assert {p["ParameterName"]: p.get("ParameterValue") for p in params}["rds.force_ssl"] == "1"

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
    assert secret["username"] == "invoice_admin" and len(secret["password"]) == 32
    assert secret["host"] == db["Endpoint"]["Address"]
    assert secret["password"] not in created.stdout + created.stderr
    # The instance is a real PostgreSQL database (the local endpoint's RDS): the master secret logs
    # in at the endpoint the secret records, a wrong password does not.
    assert (str(secret["port"]), secret["dbname"]) == (str(db["Endpoint"]["Port"]), "invoices")
    assert _run(_login(db["Endpoint"], secret)) == ("invoice_admin", "invoices")
    assert _refused(db["Endpoint"], {**secret, "password": secret["password"][::-1]})
    outputs = created.task("Publish the database outputs")["ansible_facts"]["platform_outputs_database"]
    assert outputs["endpoint"] == db["Endpoint"]["Address"]
    assert outputs["master_secret_arn"].startswith(f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{SECRET}-")
    assert "password" not in json.dumps(outputs).lower().replace("master_secret", "")

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    assert {c["service"] for c in calls(localaws)} >= {"ec2"}  # alone, the tier looks the network up
    # Inside site.yml the network tier published its ids earlier in the same run: no EC2 read.
    # As inside site.yml: the network tier published its ids, the last play writes the outputs.
    inside, writes = run_clean(
        localaws, PLAYBOOK, extra_vars={"platform_outputs_network": net, "__outputs_at_end": True}
    )
    assert (inside.changed, writes) == (0, [])
    assert not [c for c in calls(localaws) if c["service"] == "ec2"]
    # ... unless they name another network (a different prefix): then it looks up again.
    other, _ = run_clean(
        localaws,
        PLAYBOOK,
        extra_vars={"platform_outputs_network": {**net, "name_prefix": "other-local"}, "__outputs_at_end": True},
    )
    assert other.changed == 0 and [c for c in calls(localaws) if c["service"] == "ec2"]
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])
    # The password was generated once: re-runs kept it.
    kept = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
    assert kept["password"] == secret["password"]

    # One value: backup retention modifies the instance and nothing else.
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars={"database_backup_retention_days": 7})
    assert writes == ["rds.ModifyDBInstance"]
    assert instances()[0]["BackupRetentionPeriod"] == 7

    # Deleting keeps a final snapshot; deletion protection refuses it first.
    reset_calls(localaws)
    refused = run_playbook(PLAYBOOK, extra_vars={"database_state": "absent", "database_deletion_protection": True})
    assert refused.rc != 0 and [c for c in calls(localaws) if c["mutating"]] == []
    assert any("database_deletion_protection is true" in m for m in refused.failure_messages()), refused.explain()
    _run(_query(db["Endpoint"], kept, "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('before')"))
    absent = {"database_state": "absent"}
    plan, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True, extra_vars=absent)
    assert writes == [] and len(instances()) == 1
    assert db["DBInstanceArn"] in plan.task("List what the database tier deletes")["msg"]
    assert {"Delete the instance after a final snapshot", "Schedule the deletion of the master secret"} <= {
        n.split(" : ", 1)[-1] for n in plan.changed_tasks()
    }
    deleted, writes = run_clean(localaws, PLAYBOOK, extra_vars=absent)
    assert sorted(writes) == [
        "rds.DeleteDBInstance",
        "rds.DeleteDBParameterGroup",
        "rds.DeleteDBSubnetGroup",
        "secretsmanager.DeleteSecret",
    ]
    assert instances() == []
    (snapshot,) = boto3.client("rds").describe_db_snapshots(DBInstanceIdentifier="invoice-local-db")["DBSnapshots"]
    assert snapshot["DBSnapshotIdentifier"].startswith("invoice-local-db-final-")
    report = deleted.task("Publish what the database tier kept")["ansible_facts"]["platform_teardown_database"]
    assert report["final_snapshot"] == snapshot["DBSnapshotIdentifier"]
    assert "DeletedDate" in boto3.client("secretsmanager").describe_secret(SecretId=SECRET)
    again, writes = run_clean(localaws, PLAYBOOK, extra_vars=absent)
    assert (again.changed, writes) == (0, [])

    # The rebuild: the instance comes back from its final snapshot with its rows, behind the
    # (restored) master secret; a second run without the variable changes nothing.
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars={"database_restore_snapshot": "latest-final"})
    assert "rds.RestoreDBInstanceFromDBSnapshot" in writes and "rds.CreateDBInstance" not in writes
    (back,) = instances()
    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
    assert secret["host"] == back["Endpoint"]["Address"]
    assert [r[0] for r in _run(_query(back["Endpoint"], secret, "SELECT note FROM kept"))] == ["before"]
    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    again, writes = run_clean(localaws, PLAYBOOK, extra_vars={"database_restore_snapshot": "latest-final"})
    assert (again.changed, writes) == (0, [])


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"database_parameters": {"rds.force_ssl": "0"}}, "database_parameters must keep rds.force_ssl at 1"),
        ({"database_backup_retention_days": 0}, "database_backup_retention_days must be 1-35"),
        ({"database_master_username": "postgres"}, "database_master_username must be a lower-case identifier"),
        ({"database_state": "gone"}, "database_state"),
    ],
)
def test_bad_input_fails_before_any_database_call(localaws: str, extra: dict[str, Any], expected: str) -> None:
    assert_fails_in_preflight(localaws, PLAYBOOK, extra, expected)
