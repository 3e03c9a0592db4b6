# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Judging the live environment (playbooks/verify.yml): pure functions, no AWS call.

Each ``judge_*`` takes what the AWS APIs returned (plain dicts, as boto3 gives them) and what
the inventory expects, and returns check results: ``{"check", "resource", "status",
"evidence"}`` with status PASS, FAIL or WARN and evidence a person can act on (the resource's
name, the field, the value found). The modules verify_stack_info and verify_probe gather the
data; ``summarise`` and ``render_table`` report.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from ansible_collections.invoice.platform.plugins.module_utils.pdf import make_pdf

PASS, FAIL, WARN = "PASS", "FAIL", "WARN"
STATUSES = (FAIL, WARN, PASS)

# Policies whose attachment to a role of the stack is a finding whatever else it has.
ADMIN_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# Actions with no resource-level permissions: "Resource": "*" is the only way to grant them
# (roles/iam/defaults/main.yml, roles/worker/templates): the documented exception.
STAR_RESOURCE_ACTIONS = ("ecr:GetAuthorizationToken", "cloudwatch:PutMetricData")

# Environment variable names and values that look like credentials.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
SECRET_VALUE = re.compile(
    r"^(sk-ant-[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*|[A-Za-z0-9+/=_-]{40,})$",
    re.DOTALL,
)


def result(check: str, resource: str, status: str, evidence: str) -> dict[str, str]:
    return {"check": check, "resource": resource, "status": status, "evidence": evidence}


def _age_hours(when: datetime.datetime | str, now: datetime.datetime) -> float:
    if isinstance(when, str):
        when = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return (now - when).total_seconds() / 3600


# --- TLS ------------------------------------------------------------------------------------


def judge_certificate(
    cert: dict[str, Any] | None, domain: str, attached_to: list[str], now: datetime.datetime, min_days: int = 30
) -> dict[str, str]:
    """A certificate of the stack: issued, attached where it belongs, not expiring soon."""
    check = "tls.certificate"
    if not cert:
        return result(check, domain, FAIL, f"no ACM certificate for {domain}")
    name = f"{domain} ({cert.get('CertificateArn', '?')})"
    if cert.get("Status") != "ISSUED":
        return result(check, name, FAIL, f"status {cert.get('Status')}, not ISSUED")
    if not attached_to:
        return result(check, name, FAIL, "issued but attached to nothing (the distribution does not use it)")
    not_after = cert.get("NotAfter")
    if not_after is None:
        return result(check, name, WARN, f"issued, used by {', '.join(attached_to)}; no expiry date reported")
    days = -_age_hours(not_after, now) / 24
    if days < min_days:
        return result(
            check, name, FAIL, f"expires in {days:.0f} days (under {min_days}), used by {', '.join(attached_to)}"
        )
    return result(check, name, PASS, f"issued, used by {', '.join(attached_to)}, expires in {days:.0f} days")


def judge_cloudfront_https(distribution: dict[str, Any] | None, alias: str) -> dict[str, str]:
    """Every cache behaviour of the web distribution redirects HTTP to HTTPS (or refuses it)."""
    check = "tls.cloudfront_https"
    if not distribution:
        return result(check, alias, FAIL, f"no CloudFront distribution with the alias {alias}")
    config = distribution.get("DistributionConfig", distribution)
    name = f"{distribution.get('Id', '?')} ({alias})"
    behaviours = [("default", config.get("DefaultCacheBehavior", {}))]
    behaviours += [(b.get("PathPattern", "?"), b) for b in config.get("CacheBehaviors", {}).get("Items", []) or []]
    weak = [
        f"{path}: {b.get('ViewerProtocolPolicy')}"
        for path, b in behaviours
        if b.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only")
    ]
    if weak:
        return result(check, name, FAIL, "HTTP is served, not redirected: " + "; ".join(weak))
    return result(check, name, PASS, f"{len(behaviours)} cache behaviours redirect HTTP to HTTPS")


def judge_database_ssl(instance_id: str, parameters: dict[str, str]) -> dict[str, str]:
    """The instance's parameter group sets rds.force_ssl to 1 (PostgreSQL 15 defaults to 0)."""
    value = parameters.get("rds.force_ssl")
    if str(value) == "1":
        return result("tls.database_ssl", instance_id, PASS, "rds.force_ssl = 1 in its parameter group")
    return result("tls.database_ssl", instance_id, FAIL, f"rds.force_ssl = {value!r} in its parameter group (not 1)")


# --- Network --------------------------------------------------------------------------------


def _rule_sources(permission: dict[str, Any]) -> list[str]:
    return (
        [r.get("CidrIp", "") for r in permission.get("IpRanges", [])]
        + [r.get("CidrIpv6", "") for r in permission.get("Ipv6Ranges", [])]
        + [p.get("GroupId", "") for p in permission.get("UserIdGroupPairs", [])]
        + [p.get("PrefixListId", "") for p in permission.get("PrefixListIds", [])]
    )


def _ports(permission: dict[str, Any]) -> str:
    if permission.get("IpProtocol") == "-1":
        return "all traffic"
    return f"{permission.get('IpProtocol')} {permission.get('FromPort')}-{permission.get('ToPort')}"


def judge_database_ingress(group: dict[str, Any] | None, service_group_id: str, port: int) -> dict[str, str]:
    """The database's group admits only the service's group, only on the database port."""
    check = "network.database_ingress"
    if not group:
        return result(check, "database security group", FAIL, "the database security group does not exist")
    name = f"{group['GroupId']} ({group.get('GroupName', '')})"
    problems = []
    for permission in group.get("IpPermissions", []):
        sources = _rule_sources(permission)
        right_port = permission.get("IpProtocol") == "tcp" and permission.get("FromPort") == port == permission.get(
            "ToPort"
        )
        for source in sources:
            if source != service_group_id or not right_port:
                problems.append(f"{_ports(permission)} from {source}")
    if problems:
        return result(
            check, name, FAIL, "admits more than the service's group on " + str(port) + ": " + "; ".join(problems)
        )
    if not group.get("IpPermissions"):
        return result(check, name, WARN, "no ingress at all: the service cannot reach the database")
    return result(check, name, PASS, f"tcp {port} from {service_group_id} only")


def judge_open_ingress(groups: Iterable[dict[str, Any]], public_group_ids: Iterable[str] = ()) -> list[dict[str, str]]:
    """No group of the stack admits 0.0.0.0/0 or ::/0, except those with a public listener."""
    allowed = set(public_group_ids)
    out = []
    for group in groups:
        name = f"{group['GroupId']} ({group.get('GroupName', '')})"
        open_rules = [
            f"{_ports(p)} from {source}"
            for p in group.get("IpPermissions", [])
            for source in _rule_sources(p)
            if source in ("0.0.0.0/0", "::/0")
        ]
        if open_rules and group["GroupId"] not in allowed:
            out.append(result("network.open_ingress", name, FAIL, "open to the internet: " + "; ".join(open_rules)))
        else:
            out.append(
                result(
                    "network.open_ingress",
                    name,
                    PASS,
                    "no ingress from 0.0.0.0/0 or ::/0" if not open_rules else "public listener (by design)",
                )
            )
    return out


def judge_database_private(instance: dict[str, Any] | None, identifier: str) -> dict[str, str]:
    if not instance:
        return result("network.database_private", identifier, FAIL, "no such DB instance")
    if instance.get("PubliclyAccessible"):
        return result("network.database_private", identifier, FAIL, "PubliclyAccessible is true")
    return result("network.database_private", identifier, PASS, "PubliclyAccessible is false")


# --- IAM ------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def judge_role(
    role_name: str, documents: dict[str, Any], attached: list[str], aws_managed: Iterable[str] = ()
) -> dict[str, str]:
    """No Action "*" (or "service:*"), no Resource "*" beyond STAR_RESOURCE_ACTIONS in the
    policies the stack wrote (``documents``: inline and customer managed), no admin policy
    among those ``attached``. AWS managed policies (``aws_managed``, such as AWS Backup's
    service-role policies) are AWS's to scope: judged by name only."""
    check = "iam.least_privilege"
    problems = [
        f"managed policy {arn.rsplit('/', 1)[-1]} attached"
        for arn in attached
        if arn.rsplit("/", 1)[-1] in ADMIN_POLICY_NAMES
    ]
    for policy_name, document in documents.items():
        parsed = json.loads(document) if isinstance(document, str) else document
        for index, statement in enumerate(_as_list(parsed.get("Statement", []))):
            if statement.get("Effect") != "Allow":
                continue
            label = f"{policy_name} statement {statement.get('Sid') or index}"
            actions = [str(a) for a in _as_list(statement.get("Action", []))]
            if "NotAction" in statement:
                problems.append(f"{label}: NotAction")
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            if wild:
                problems.append(f"{label}: Action {', '.join(wild)}")
            if "*" in _as_list(statement.get("Resource", [])):
                extra = sorted(set(actions) - set(STAR_RESOURCE_ACTIONS))
                if extra:
                    problems.append(f"{label}: Resource * for {', '.join(extra)}")
    if problems:
        return result(check, role_name, FAIL, "; ".join(problems))
    managed = [arn.rsplit("/", 1)[-1] for arn in aws_managed]
    note = f"; AWS managed, judged by name: {', '.join(managed)}" if managed else ""
    evidence = f"{len(documents)} policies, no wildcard beyond {', '.join(STAR_RESOURCE_ACTIONS)}{note}"
    return result(check, role_name, PASS, evidence)


# --- Secrets --------------------------------------------------------------------------------


def judge_service_secrets(service: str, env: dict[str, str], secrets: dict[str, str]) -> list[dict[str, str]]:
    """Secrets by reference (ARNs), and no plain environment value that looks like one."""
    out = []
    not_refs = [name for name, ref in secrets.items() if not str(ref).startswith("arn:")]
    if not_refs:
        out.append(result("secrets.by_reference", service, FAIL, f"not an ARN: {', '.join(sorted(not_refs))}"))
    else:
        out.append(
            result(
                "secrets.by_reference", service, PASS, f"{len(secrets)} secrets by ARN: {', '.join(sorted(secrets))}"
            )
        )
    suspicious = [
        name
        for name, value in env.items()
        if (SECRET_NAME.search(name) and str(value)) or SECRET_VALUE.match(str(value))
    ]
    if suspicious:
        out.append(
            result(
                "secrets.plain_environment",
                service,
                FAIL,
                f"plain variables that look like secrets: {', '.join(sorted(suspicious))} (values not shown)",
            )
        )
    else:
        out.append(
            result(
                "secrets.plain_environment",
                service,
                PASS,
                f"{len(env)} plain variables, none looks like a key or password",
            )
        )
    return out


def judge_secret_key(name: str, key_id: str | None, expected: list[str]) -> dict[str, str]:
    """A parameter or secret is encrypted with one of the stack's keys (alias, id or ARN)."""
    if key_id and any(
        key_id == e or key_id.endswith(e.replace("alias/", ":alias/", 1)) or key_id.endswith("/" + e) for e in expected
    ):
        return result("secrets.encryption", name, PASS, f"encrypted with {key_id}")
    return result(
        "secrets.encryption",
        name,
        FAIL,
        f"encrypted with {key_id or 'nothing named'}, expected {' or '.join(expected)}",
    )


# --- Storage --------------------------------------------------------------------------------


def _denies_insecure_transport(policy: dict[str, Any] | None) -> bool:
    for statement in _as_list((policy or {}).get("Statement", [])):
        condition = statement.get("Condition", {})
        secure = condition.get("Bool", {}).get("aws:SecureTransport")
        if statement.get("Effect") == "Deny" and str(secure).lower() == "false":
            return True
    return False


def judge_bucket(bucket: str, settings: dict[str, Any], expected_algorithm: str) -> dict[str, str]:
    """Encrypted (with the inventory's algorithm), versioned, every public access blocked, TLS only.

    ``settings``: ``encryption`` (ServerSideEncryptionConfiguration), ``versioning`` (Status),
    ``public_access_block`` (PublicAccessBlockConfiguration), ``policy`` (parsed), each None
    when the bucket has none.
    """
    encryption, versioning = settings.get("encryption"), settings.get("versioning")
    public_access_block, policy = settings.get("public_access_block"), settings.get("policy")
    problems = []
    rules = (encryption or {}).get("Rules", [])
    algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]
    if not algorithms:
        problems.append("no default encryption")
    elif expected_algorithm not in algorithms:
        problems.append(f"encryption {', '.join(map(str, algorithms))}, expected {expected_algorithm}")
    if versioning != "Enabled":
        problems.append(f"versioning {versioning or 'never enabled'}")
    blocks = public_access_block or {}
    off = [
        k
        for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        if not blocks.get(k)
    ]
    if off:
        problems.append("public access not blocked: " + ", ".join(off))
    if not _denies_insecure_transport(policy):
        problems.append("the policy does not deny aws:SecureTransport false (plain HTTP allowed)")
    if problems:
        return result("storage.bucket", bucket, FAIL, "; ".join(problems))
    return result("storage.bucket", bucket, PASS, f"{expected_algorithm}, versioned, public access blocked, TLS only")


# --- Monitoring -----------------------------------------------------------------------------


def judge_alarms(expected: dict[str, float], alarms: list[dict[str, Any]], topic_arn: str) -> list[dict[str, str]]:
    """Each expected alarm exists with its threshold and notifies the topic."""
    found = {a["AlarmName"]: a for a in alarms}
    out = []
    for name, threshold in expected.items():
        alarm = found.get(name)
        if alarm is None:
            out.append(result("monitoring.alarm", name, FAIL, "missing"))
            continue
        problems = []
        if not math.isclose(float(alarm.get("Threshold", math.nan)), float(threshold), rel_tol=1e-9):
            problems.append(f"threshold {alarm.get('Threshold')}, expected {threshold}")
        if topic_arn not in alarm.get("AlarmActions", []):
            problems.append(
                f"no alarm action to {topic_arn} (actions: {', '.join(alarm.get('AlarmActions', [])) or 'none'})"
            )
        if alarm.get("ActionsEnabled") is False:
            problems.append("actions disabled")
        out.append(
            result(
                "monitoring.alarm",
                name,
                FAIL if problems else PASS,
                "; ".join(problems) or f"threshold {threshold}, notifies the topic",
            )
        )
    return out


def judge_subscriptions(topic_arn: str, subscriptions: list[dict[str, Any]]) -> dict[str, str]:
    confirmed = [s["Endpoint"] for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]
    pending = [s["Endpoint"] for s in subscriptions if not str(s.get("SubscriptionArn", "")).startswith("arn:")]
    if confirmed:
        note = f"; pending: {len(pending)}" if pending else ""
        return result("monitoring.subscription", topic_arn, PASS, f"{len(confirmed)} confirmed subscription(s){note}")
    if pending:
        return result(
            "monitoring.subscription",
            topic_arn,
            FAIL,
            f"{len(pending)} subscription(s), none confirmed: nobody receives the alarms",
        )
    return result("monitoring.subscription", topic_arn, FAIL, "no subscription: nobody receives the alarms")


def judge_log_groups(groups: list[dict[str, Any]], expected_days: dict[str, int]) -> list[dict[str, str]]:
    """Each log group of the stack keeps logs for a set retention (the inventory's, when named)."""
    out = []
    for group in groups:
        name = group["logGroupName"]
        days = group.get("retentionInDays")
        want = expected_days.get(name)
        if days is None:
            out.append(result("monitoring.log_retention", name, FAIL, "never expires (no retention set)"))
        elif want is not None and int(days) != int(want):
            out.append(result("monitoring.log_retention", name, FAIL, f"retention {days} days, expected {want}"))
        else:
            out.append(result("monitoring.log_retention", name, PASS, f"retention {days} days"))
    return out


# --- Backups --------------------------------------------------------------------------------


def judge_backup_retention(identifier: str, instance: dict[str, Any] | None, expected: int) -> dict[str, str]:
    if not instance:
        return result("backups.retention", identifier, FAIL, "no such DB instance")
    days = instance.get("BackupRetentionPeriod")
    if days != expected:
        return result(
            "backups.retention",
            identifier,
            FAIL,
            f"BackupRetentionPeriod {days}, expected {expected} (database_backup_retention_days)",
        )
    return result("backups.retention", identifier, PASS, f"BackupRetentionPeriod {days} days")


def judge_latest_snapshot(
    identifier: str,
    instance: dict[str, Any] | None,
    snapshots: list[dict[str, Any]],
    now: datetime.datetime,
    max_hours: float = 26,
) -> dict[str, str]:
    """The newest available snapshot is younger than ``max_hours``; an instance younger than
    that with none yet is a WARN (its first automated backup has not run)."""
    check = "backups.latest_snapshot"
    done = [s for s in snapshots if s.get("Status") == "available" and s.get("SnapshotCreateTime")]
    if done:
        newest = max(done, key=lambda s: _age_hours(s["SnapshotCreateTime"], now) * -1)
        age = _age_hours(newest["SnapshotCreateTime"], now)
        status = PASS if age < max_hours else FAIL
        return result(
            check,
            identifier,
            status,
            f"newest snapshot {newest['DBSnapshotIdentifier']} is {age:.1f} h old (limit {max_hours:g} h)",
        )
    created = (instance or {}).get("InstanceCreateTime")
    if created and _age_hours(created, now) < max_hours:
        return result(check, identifier, WARN, f"no snapshot yet; the instance is {_age_hours(created, now):.1f} h old")
    return result(check, identifier, FAIL, f"no available snapshot (limit {max_hours:g} h)")


def judge_drill_report(
    path: str, report: dict[str, Any] | None, taken_at: str | None, now: datetime.datetime, max_days: float = 30
) -> dict[str, str]:
    """The last drill (outputs/<env>-drill.json of playbooks/dr_drill.yml) passed within ``max_days``.

    No report at all is a WARN (no drill has run from this checkout yet), not a PASS.
    """
    check = "backups.drill"
    if report is None:
        return result(check, path, WARN, "no drill report: run playbooks/dr_drill.yml")
    if report.get("check_mode"):
        return result(check, path, WARN, "the last drill ran in check mode only")
    when = taken_at or report.get("backup_point")
    if not when:
        return result(check, path, FAIL, "the report has no date")
    age_days = _age_hours(when, now) / 24
    if not report.get("passed"):
        return result(
            check, path, FAIL, f"the drill of {when} FAILED: {'; '.join(map(str, report.get('problems', [])))[:300]}"
        )
    if age_days > max_days:
        return result(check, path, FAIL, f"the last drill passed {age_days:.0f} days ago (limit {max_days:g})")
    return result(
        check,
        path,
        PASS,
        f"passed {age_days:.1f} days ago, paths {', '.join(p.get('path', '?') for p in report.get('paths', []))}",
    )


# --- Performance ----------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0-1) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def judge_latency(name: str, samples_ms: list[float], errors: list[str], limit_ms: float) -> dict[str, str]:
    check = "performance.api_p95"
    if errors:
        return result(
            check, name, FAIL, f"{len(errors)} of {len(samples_ms) + len(errors)} requests failed: {errors[0]}"
        )
    if not samples_ms:
        return result(check, name, FAIL, "no request was made")
    p95 = percentile(samples_ms, 0.95)
    status = PASS if p95 < limit_ms else FAIL
    return result(check, name, status, f"p95 {p95:.0f} ms over {len(samples_ms)} requests (limit {limit_ms:g} ms)")


def judge_page_load(url: str, seconds: float, assets: int, errors: list[str], limit_s: float) -> dict[str, str]:
    check = "performance.web_first_load"
    if errors:
        return result(check, url, FAIL, "; ".join(errors[:3]))
    status = PASS if seconds < limit_s else FAIL
    return result(check, url, status, f"HTML and {assets} assets in {seconds:.2f} s (limit {limit_s:g} s)")


# --- Upload and extraction end to end ------------------------------------------------------

UPLOAD_CHECK = "performance.upload"
UPLOAD_RESOURCE = "upload and extraction"
# The probe's invoices carry this prefix in their number (and the file name): the cleanup's
# sweep deletes only invoices whose number is the run's own.
PROBE_NUMBER_PREFIX = "VERIFY-PROBE-"


def probe_invoice(number: str, issued: datetime.date) -> tuple[list[str], dict[str, str]]:
    """The probe's invoice as text lines, and the fields its extraction must find.

    Labelled the way the offline extractor and Claude both read (``Invoice Number:``,
    ``Total:``); the amounts add up, so a correct extraction has no warning about them.
    """
    lines = [
        "Verify Probe Supplies Ltd",
        "1 Probe Street, Testville",
        "",
        "INVOICE",
        f"Invoice Number: {number}",
        f"Invoice Date: {issued.isoformat()}",
        f"Due Date: {(issued + datetime.timedelta(days=30)).isoformat()}",
        "Terms: Net 30",
        "",
        "Bill To:",
        "Post-deployment Check",
        "",
        "Description                       Qty     Unit Price      Amount",
        "Synthetic verification item       2       5.00            10.00",
        "",
        "Subtotal: $10.00",
        "Sales Tax (10%): $1.00",
        "Total: $11.00",
        "All amounts in USD.",
    ]
    return lines, {"invoice_number": number, "total_amount": "11.00"}


def probe_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica, WinAnsi) showing ``lines``: the probe's upload, written by the
    same writer as the extraction tests' fixtures (module_utils/pdf.py)."""
    return make_pdf(lines)


def _same_value(found: Any, want: str) -> bool:
    if found is None:
        return False
    try:
        return float(found) == float(want)
    except (TypeError, ValueError):
        return str(found).strip() == want


def judge_upload(
    invoice: dict[str, Any], expected: dict[str, str], upload_ms: float, extraction_s: float, limit_s: float
) -> dict[str, str]:
    """The probe's invoice as the API stored it: the fields its extraction must have found."""
    wrong = [
        f"{field} {invoice.get(field)!r}, expected {want!r}"
        for field, want in expected.items()
        if not _same_value(invoice.get(field), want)
    ]
    timing = f"upload {upload_ms:.0f} ms, extraction {extraction_s:.1f} s"
    where = f"invoice {invoice.get('id')}"
    if wrong:
        return result(UPLOAD_CHECK, UPLOAD_RESOURCE, FAIL, f"wrong field: {'; '.join(wrong)} ({where}, {timing})")
    if extraction_s > limit_s:
        return result(UPLOAD_CHECK, UPLOAD_RESOURCE, FAIL, f"extraction timeout: {timing} > {limit_s:g} s ({where})")
    return result(
        UPLOAD_CHECK,
        UPLOAD_RESOURCE,
        PASS,
        f"{where}: {timing}; {', '.join(f'{k} {v}' for k, v in expected.items())} extracted",
    )


def upload_failed(step: str, detail: str) -> dict[str, str]:
    """A FAIL naming the step of the probe that failed (sign-in, upload, extraction, cleanup)."""
    return result(UPLOAD_CHECK, UPLOAD_RESOURCE, FAIL, f"{step}: {detail}")


# --- Drift ----------------------------------------------------------------------------------


def _diff_fields(diff: Any) -> list[str]:
    """The fields a task's --diff changes (before/after dicts), else a short excerpt."""
    fields: list[str] = []
    for entry in _as_list(diff or []):
        if not isinstance(entry, dict):
            continue
        before, after = entry.get("before"), entry.get("after")
        if isinstance(before, dict) and isinstance(after, dict):
            fields.extend(_changed_paths(before, after, ""))
        elif before != after and (before or after):
            fields.append(f"{str(before)[:60]!r} -> {str(after)[:60]!r}")
    return fields


def _changed_paths(before: dict[str, Any], after: dict[str, Any], prefix: str) -> list[str]:
    out = []
    for key in sorted(set(before) | set(after), key=str):
        b, a = before.get(key), after.get(key)
        if isinstance(b, dict) and isinstance(a, dict):
            out.extend(_changed_paths(b, a, f"{prefix}{key}."))
        elif b != a:
            out.append(f"{prefix}{key}: {json.dumps(b, default=str)[:60]} -> {json.dumps(a, default=str)[:60]}")
    return out


def judge_drift(run: dict[str, Any], ignore_tasks: Iterable[str] = ()) -> list[dict[str, str]]:
    """Changed tasks of a ``--check --diff`` run (ansible.posix.json output): one FAIL each,
    naming the task and the fields its diff changes; no changed task is one PASS."""
    ignore = tuple(ignore_tasks)
    out = []
    failed = []
    for play in run.get("plays", []):
        for task in play.get("tasks", []):
            name = task.get("task", {}).get("name", "?")
            for res in task.get("hosts", {}).values():
                if res.get("failed"):
                    failed.append(f"{name}: {str(res.get('msg', ''))[:200]}")
                if not res.get("changed") or any(name.endswith(i) for i in ignore):
                    continue
                fields = _diff_fields(res.get("diff"))
                # a loop: each changed item's own diff, named by its item
                for item in res.get("results", []) or []:
                    if isinstance(item, dict) and item.get("changed"):
                        label = item.get("item")
                        label = label.get("name", label) if isinstance(label, dict) else label
                        fields.extend(f"{label}: {field}" for field in _diff_fields(item.get("diff")))
                out.append(
                    result(
                        "drift", name, FAIL, "; ".join(fields)[:500] or "would change (no field-level diff reported)"
                    )
                )
    if failed:
        out.append(result("drift", "check-mode run", FAIL, "the check-mode run failed: " + "; ".join(failed)[:500]))
    if not out:
        stats = run.get("stats", {}).get("localhost", {})
        out.append(
            result(
                "drift",
                "check-mode run",
                PASS,
                f"changed=0 over {stats.get('ok', 0)} tasks: live settings match the inventory",
            )
        )
    return out


# --- Report ---------------------------------------------------------------------------------


def summarise(results: list[dict[str, str]]) -> dict[str, int]:
    return {status: sum(1 for r in results if r["status"] == status) for status in STATUSES}


def render_table(results: list[dict[str, str]], width: int = 110) -> list[str]:
    rows = [(r["status"], r["check"], r["resource"], r["evidence"]) for r in results]
    header = ("status", "check", "resource", "evidence")
    w = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [f"{header[0]:<{w[0]}}  {header[1]:<{w[1]}}  {header[2]:<{w[2]}}  {header[3]}"]
    lines.append("-" * min(width + sum(w), len(lines[0]) + width))
    # The table cuts long evidence; the JSON report keeps all of it.
    lines.extend(
        f"{s:<{w[0]}}  {c:<{w[1]}}  {res:<{w[2]}}  {ev if len(ev) <= width else ev[: width - 3] + '...'}"
        for s, c, res, ev in rows
    )
    counts = summarise(results)
    lines.append(f"{counts[PASS]} PASS, {counts[WARN]} WARN, {counts[FAIL]} FAIL")
    return lines
