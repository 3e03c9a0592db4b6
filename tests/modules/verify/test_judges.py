"""The judging functions of playbooks/verify.yml (plugins/module_utils/verify.py), without AWS."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.invoice.platform.plugins.module_utils import verify as v

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
SVC = "sg-svc"


def rule(port: int, **source: str) -> dict:
    perm: dict = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [], "UserIdGroupPairs": []}
    if "cidr" in source:
        perm["IpRanges"] = [{"CidrIp": source["cidr"]}]
    if "group" in source:
        perm["UserIdGroupPairs"] = [{"GroupId": source["group"]}]
    return perm


@pytest.mark.parametrize(
    ("permissions", "status", "evidence"),
    [
        ([rule(5432, group=SVC)], "PASS", "tcp 5432 from sg-svc only"),
        ([rule(5432, group=SVC), rule(5432, cidr="0.0.0.0/0")], "FAIL", "tcp 5432-5432 from 0.0.0.0/0"),
        ([rule(22, group=SVC)], "FAIL", "tcp 22-22 from sg-svc"),
        ([rule(5432, group="sg-other")], "FAIL", "from sg-other"),
    ],
)
def test_database_ingress(permissions: list, status: str, evidence: str) -> None:
    got = v.judge_database_ingress(
        {"GroupId": "sg-db", "GroupName": "x-database", "IpPermissions": permissions}, SVC, 5432
    )
    assert (got["status"], got["resource"]) == (status, "sg-db (x-database)")
    assert evidence in got["evidence"]


def test_open_ingress_names_the_group() -> None:
    groups = [
        {"GroupId": "sg-a", "GroupName": "a", "IpPermissions": [rule(443, cidr="0.0.0.0/0")]},
        {"GroupId": "sg-b", "GroupName": "b", "IpPermissions": []},
    ]
    got = v.judge_open_ingress(groups)
    assert [(r["resource"], r["status"]) for r in got] == [("sg-a (a)", "FAIL"), ("sg-b (b)", "PASS")]
    assert v.judge_open_ingress(groups, ["sg-a"])[0]["status"] == "PASS"


@pytest.mark.parametrize(
    ("statement", "attached", "status", "evidence"),
    [
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/x/*"]}, [], "PASS", ""),
        ({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}, [], "PASS", ""),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::b"]}, [], "FAIL", "Action s3:*"),
        ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}, [], "FAIL", "Resource * for s3:GetObject"),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, [], "PASS", ""),
        (
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"},
            ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "FAIL",
            "AdministratorAccess attached",
        ),
    ],
)
def test_role(statement: dict, attached: list, status: str, evidence: str) -> None:
    got = v.judge_role("x-role", {"p": {"Statement": [statement]}}, attached)
    assert got["status"] == status and evidence in got["evidence"]


def test_aws_managed_policies_are_named_not_parsed() -> None:
    backup = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    got = v.judge_role("x-backup", {}, [backup], [backup])
    assert got["status"] == "PASS"
    assert got["evidence"].endswith("AWS managed, judged by name: AWSBackupServiceRolePolicyForBackup")


def test_service_secrets_never_show_values() -> None:
    env = {"DB_HOST": "10.0.0.5", "DB_PASSWORD": "hunter2hunter2", "LOG": "sk-ant-api03-abcdefghijkl"}
    got = v.judge_service_secrets("svc", env, {"JWT_SECRET": "arn:aws:ssm:us-east-1:1:parameter/x", "K": "plain"})
    by = {r["check"]: r for r in got}
    assert by["secrets.by_reference"]["status"] == "FAIL" and "K" in by["secrets.by_reference"]["evidence"]
    plain = by["secrets.plain_environment"]
    assert plain["status"] == "FAIL" and "DB_PASSWORD" in plain["evidence"] and "LOG" in plain["evidence"]
    assert "hunter2" not in plain["evidence"] and "sk-ant" not in plain["evidence"]
    assert v.judge_service_secrets("svc", {"DB_HOST": "h", "DB_PORT": "5432"}, {})[1]["status"] == "PASS"


TLS_POLICY = {"Statement": [{"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
ENC = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
BLOCK = dict.fromkeys(["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True)


@pytest.mark.parametrize(
    ("args", "status", "evidence"),
    [
        ((ENC, "Enabled", BLOCK, TLS_POLICY), "PASS", ""),
        ((None, "Enabled", BLOCK, TLS_POLICY), "FAIL", "no default encryption"),
        ((ENC, "Suspended", BLOCK, TLS_POLICY), "FAIL", "versioning Suspended"),
        ((ENC, "Enabled", {**BLOCK, "BlockPublicPolicy": False}, TLS_POLICY), "FAIL", "BlockPublicPolicy"),
        ((ENC, "Enabled", BLOCK, None), "FAIL", "aws:SecureTransport"),
    ],
)
def test_bucket(args: tuple, status: str, evidence: str) -> None:
    settings = dict(zip(("encryption", "versioning", "public_access_block", "policy"), args, strict=True))
    got = v.judge_bucket("b", settings, expected_algorithm="aws:kms")
    assert got["status"] == status and evidence in got["evidence"]


def test_alarms_and_subscriptions() -> None:
    topic = "arn:aws:sns:us-east-1:1:t"
    alarms = [
        {"AlarmName": "a", "Threshold": 80.0, "AlarmActions": [topic]},
        {"AlarmName": "b", "Threshold": 5.0, "AlarmActions": []},
    ]
    got = v.judge_alarms({"a": 80, "b": 10, "c": 1}, alarms, topic)
    assert [r["status"] for r in got] == ["PASS", "FAIL", "FAIL"]
    assert "threshold 5.0, expected 10" in got[1]["evidence"] and "no alarm action" in got[1]["evidence"]
    assert got[2]["evidence"] == "missing"
    assert (
        v.judge_subscriptions(topic, [{"Endpoint": "ops@x", "SubscriptionArn": "PendingConfirmation"}])["status"]
        == "FAIL"
    )
    assert v.judge_subscriptions(topic, [{"Endpoint": "ops@x", "SubscriptionArn": topic + ":id"}])["status"] == "PASS"


def test_backups() -> None:
    old = NOW - datetime.timedelta(hours=30)
    fresh = NOW - datetime.timedelta(hours=2)
    snap = {"DBSnapshotIdentifier": "s1", "Status": "available", "SnapshotCreateTime": old}
    assert v.judge_latest_snapshot("db", {}, [snap], NOW)["status"] == "FAIL"
    assert (
        v.judge_latest_snapshot(
            "db", {}, [snap, {**snap, "DBSnapshotIdentifier": "s2", "SnapshotCreateTime": fresh}], NOW
        )["status"]
        == "PASS"
    )
    assert v.judge_latest_snapshot("db", {"InstanceCreateTime": fresh}, [], NOW)["status"] == "WARN"
    assert v.judge_backup_retention("db", {"BackupRetentionPeriod": 1}, 7)["status"] == "FAIL"


@pytest.mark.parametrize(
    ("report", "status"),
    [
        (None, "WARN"),
        ({"passed": True, "backup_point": "2026-11-30T10:00:00+00:00", "paths": [{"path": "dump"}]}, "PASS"),
        ({"passed": True, "backup_point": "2026-10-01T10:00:00+00:00"}, "FAIL"),
        ({"passed": False, "backup_point": "2026-12-01T10:00:00+00:00", "problems": ["t: rows differ"]}, "FAIL"),
    ],
)
def test_drill(report: dict | None, status: str) -> None:
    assert v.judge_drill_report("d.json", report, None, NOW)["status"] == status


def test_certificate_and_https() -> None:
    cert = {"CertificateArn": "arn:c", "Status": "ISSUED", "NotAfter": NOW + datetime.timedelta(days=10)}
    assert "expires in 10 days" in v.judge_certificate(cert, "d", ["CloudFront E1"], NOW)["evidence"]
    assert (
        v.judge_certificate({**cert, "NotAfter": NOW + datetime.timedelta(days=300)}, "d", [], NOW)["status"] == "FAIL"
    )
    dist = {"Id": "E1", "DistributionConfig": {"DefaultCacheBehavior": {"ViewerProtocolPolicy": "allow-all"}}}
    assert v.judge_cloudfront_https(dist, "d")["status"] == "FAIL"
    assert v.judge_database_ssl("db", {"rds.force_ssl": "0"})["status"] == "FAIL"


def test_latency_and_drift() -> None:
    assert v.percentile([float(i) for i in range(1, 21)], 0.95) == 19.0
    assert v.judge_latency("u", [10.0] * 19 + [900.0], [], 500)["status"] == "PASS"
    assert v.judge_latency("u", [10.0] * 18 + [900.0] * 2, [], 500)["status"] == "FAIL"
    run = {
        "plays": [
            {
                "tasks": [
                    {
                        "task": {"name": "storage : Ensure the buckets"},
                        "hosts": {
                            "localhost": {
                                "changed": True,
                                "diff": [{"before": {"versioning": "Suspended"}, "after": {"versioning": "Enabled"}}],
                            }
                        },
                    }
                ]
            }
        ],
        "stats": {"localhost": {"ok": 3, "changed": 1}},
    }
    got = v.judge_drift(run)
    assert got == [v.result("drift", "storage : Ensure the buckets", "FAIL", 'versioning: "Suspended" -> "Enabled"')]
    run["plays"][0]["tasks"][0]["hosts"]["localhost"]["changed"] = False
    assert v.judge_drift(run)[0]["status"] == "PASS"


# --- The upload probe -------------------------------------------------------------------------


def test_the_probe_invoice_is_extracted_by_the_offline_extractor() -> None:
    import asyncio
    import io

    import pypdf

    from app.extraction import OfflineExtractor

    lines, expected = v.probe_invoice("VERIFY-PROBE-20261202120000-0a1b2c3d", datetime.date(2026, 12, 2))
    pdf = v.probe_pdf(lines)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert [line for line in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines() if line][:5] == [
        line for line in lines if line
    ][:5]
    found = asyncio.run(OfflineExtractor().extract(pdf, "application/pdf"))
    assert found.invoice["invoice_number"] == expected["invoice_number"]
    assert float(found.invoice["total_amount"]) == float(expected["total_amount"])
    assert found.warnings == []
    assert v.judge_upload({"id": "i-1", **found.invoice}, expected, 80, 0.1, 120)["status"] == "PASS"


@pytest.mark.parametrize(
    ("stored", "extraction_s", "status", "evidence"),
    [
        (
            {"invoice_number": "VERIFY-PROBE-1", "total_amount": 11.0},
            0.2,
            "PASS",
            "invoice i-1: upload 350 ms, extraction 0.2 s; invoice_number VERIFY-PROBE-1, total_amount 11.00 extracted",
        ),
        ({"invoice_number": "VERIFY-PROBE-1", "total_amount": "11.00"}, 0.2, "PASS", "extracted"),
        (
            {"invoice_number": "VERIFY-PROBE-1", "total_amount": 12},
            0.2,
            "FAIL",
            "wrong field: total_amount 12, expected '11.00' (invoice i-1",
        ),
        ({"invoice_number": None, "total_amount": 11}, 0.2, "FAIL", "wrong field: invoice_number None"),
        (
            {"invoice_number": "VERIFY-PROBE-1", "total_amount": 11},
            130.0,
            "FAIL",
            "extraction timeout: upload 350 ms, extraction 130.0 s > 120 s",
        ),
    ],
)
def test_judge_upload(stored: dict, extraction_s: float, status: str, evidence: str) -> None:
    expected = {"invoice_number": "VERIFY-PROBE-1", "total_amount": "11.00"}
    found = v.judge_upload({"id": "i-1", **stored}, expected, 350, extraction_s, 120)
    assert (found["check"], found["resource"], found["status"]) == (
        "performance.upload",
        "upload and extraction",
        status,
    )
    assert evidence in found["evidence"], found


def test_upload_failed_names_the_step() -> None:
    found = v.upload_failed("sign-in refused", "HTTP 401 Invalid email or password for p@example.test")
    assert found == {
        "check": "performance.upload",
        "resource": "upload and extraction",
        "status": "FAIL",
        "evidence": "sign-in refused: HTTP 401 Invalid email or password for p@example.test",
    }
