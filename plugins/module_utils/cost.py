# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monthly cost estimate of an inventory (module cost_estimate, playbooks/cost.yml).

Pure arithmetic over two inputs and nothing else (no AWS call):

- ``settings``: the inventory's variables by their names (the tiers' own, such as
  ``service_cpu`` or ``database_multi_az``, and the ``cost_*`` assumptions of roles/cost);
- ``prices``: the dated price table (roles/cost/files/aws_prices.yml), per region.

``estimate()`` returns one line per thing AWS bills (quantity, unit price, monthly USD) and the
total; bad input raises ``CostInputError`` naming the variable before anything is computed.
``render_table()`` and ``render_side_by_side()`` print estimates the way the migration plan's
table looked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

# App Runner and Fargate bill per vCPU and GB; RDS, NAT, IPv4 per hour: a month is 730 hours
# unless cost_hours_per_month says otherwise.

NUMBER_SETTINGS = (
    # tier settings
    "service_cpu",
    "service_memory",
    "service_min_size",
    "worker_cpu",
    "worker_memory",
    "worker_min_size",
    "database_allocated_storage_gb",
    "database_backup_retention_days",
    "backup_plan_retention_days",
    "deploy_ecr_keep_images",
    "service_queue_metric_seconds",
    "monitoring_log_retention_days",
    # assumptions
    "cost_hours_per_month",
    "cost_apprunner_active_share",
    "cost_apprunner_extra_instance_hours",
    "cost_worker_extra_task_hours",
    "cost_ecs_active_share",
    "cost_ecs_extra_task_hours",
    "cost_ecs_express_alarms",
    "cost_api_requests",
    "cost_api_data_gb",
    "cost_database_storage_growth_gb",
    "cost_database_used_gb",
    "cost_database_daily_change_share",
    "cost_nat_data_gb",
    "cost_s3_files_gb",
    "cost_s3_other_gb",
    "cost_s3_files_daily_change_share",
    "cost_s3_put_requests",
    "cost_s3_get_requests",
    "cost_cloudfront_data_gb",
    "cost_cloudfront_requests",
    "cost_route53_queries",
    "cost_hosted_zones",
    "cost_secrets_manager_secrets",
    "cost_ssm_parameters",
    "cost_kms_requests",
    "cost_cloudwatch_alarms",
    "cost_custom_metrics",
    "cost_log_ingest_gb",
    "cost_ecr_image_gb",
    "cost_certificates",
)
SHARE_SETTINGS = (
    "cost_apprunner_active_share",
    "cost_ecs_active_share",
    "cost_database_daily_change_share",
    "cost_s3_files_daily_change_share",
)
TEXT_SETTINGS = (
    "platform_env",
    "platform_region",
    "service_backend",
    "service_egress",
    "database_instance_class",
    "network_nat_gateway",
    "storage_encryption",
)
NAT_GATEWAYS = ("none", "single", "per_az")
# The service tier's compute backends (roles/service service_backend), each priced by its own lines.
BACKENDS = ("apprunner", "ecs_express")
# An Application Load Balancer Capacity Unit (LCU) is, per hour, the largest of: 25 new
# connections a second, 1 GB processed (targets: IP addresses / containers), 3,000 active
# connections a minute, 1,000 rule evaluations a second (the first 10 rules free).
ALB_NEW_CONNECTIONS_PER_SECOND_PER_LCU = 25
ALB_GB_PER_HOUR_PER_LCU = 1


class CostInputError(ValueError):
    """A setting or the price table cannot be priced; the message names the variable."""


def _number(settings: dict[str, Any], name: str) -> float:
    if name not in settings or settings[name] is None or settings[name] == "":
        raise CostInputError(f"{name} is not set (cost.yml needs it to price the inventory)")
    value = settings[name]
    if isinstance(value, bool):
        raise CostInputError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CostInputError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(number) or math.isinf(number) or number < 0:
        raise CostInputError(f"{name} must be zero or more, got {value!r}")
    return number


def validate(settings: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings as numbers and strings; CostInputError naming the first bad variable.

    ``defaults`` (the tier roles' defaults) fill in what the inventory leaves unset.
    """
    settings = {**(defaults or {}), **{k: v for k, v in settings.items() if v is not None}}
    clean: dict[str, Any] = {name: _number(settings, name) for name in NUMBER_SETTINGS}
    for name in SHARE_SETTINGS:
        if clean[name] > 1:
            raise CostInputError(f"{name} is a share of the month between 0 and 1, got {settings[name]!r}")
    if clean["cost_hours_per_month"] == 0:
        raise CostInputError("cost_hours_per_month must be more than 0")
    if clean["service_queue_metric_seconds"] == 0:
        raise CostInputError("service_queue_metric_seconds must be more than 0")
    for name in TEXT_SETTINGS:
        value = settings.get(name)
        if not isinstance(value, str) or not value:
            raise CostInputError(f"{name} must be a non-empty string, got {value!r}")
        clean[name] = value
    if clean["service_backend"] not in BACKENDS:
        raise CostInputError(f"service_backend must be one of {', '.join(BACKENDS)}, got {clean['service_backend']!r}")
    if clean["network_nat_gateway"] not in NAT_GATEWAYS:
        raise CostInputError(
            f"network_nat_gateway must be one of {', '.join(NAT_GATEWAYS)}, got {clean['network_nat_gateway']!r}"
        )
    clean["database_multi_az"] = _flag(settings, "database_multi_az")
    clean["cost_apply_always_free"] = _flag(settings, "cost_apply_always_free")
    zones = settings.get("network_availability_zones") or []
    if not isinstance(zones, list):
        raise CostInputError(f"network_availability_zones must be a list, got {zones!r}")
    clean["network_availability_zones"] = zones
    return clean


def _flag(settings: dict[str, Any], name: str) -> bool:
    value = settings.get(name)
    if not isinstance(value, bool):
        raise CostInputError(f"{name} must be true or false, got {value!r}")
    return value


def region_prices(prices: dict[str, Any], region: str) -> dict[str, Any]:
    regions = prices.get("regions") or {}
    if region not in regions:
        raise CostInputError(
            f"platform_region {region!r} has no prices in the price table "
            f"(priced: {', '.join(sorted(regions)) or 'none'}); add the region's list prices, "
            "with their source pages and the date read, to roles/cost/files/aws_prices.yml"
        )
    return dict(regions[region])


def zones(clean: dict[str, Any]) -> int:
    # roles/network: the zones named, or the region's first two.
    return len(clean["network_availability_zones"]) or 2


def nat_gateways(clean: dict[str, Any]) -> int:
    mode = clean["network_nat_gateway"]
    if mode == "none":
        return 0
    if mode == "single":
        return 1
    return zones(clean)


def _line(
    table: dict[str, Any],
    key: str,
    what: str,
    quantity: float,
    apply_free: bool,
    *,
    price: float | None = None,
    detail: str = "",
    line_id: str = "",
) -> dict[str, Any]:
    if key not in table:
        raise CostInputError(f"the price table has no {key!r} for this region (roles/cost/files/aws_prices.yml)")
    entry = table[key]
    unit_price = float(entry["price"] if price is None else price)
    per = float(entry.get("per", 1))
    free = float(entry.get("free", 0)) if apply_free else 0.0
    billable = max(0.0, quantity - free)
    return {
        "id": line_id or key,
        "line": what,
        "detail": detail,
        "price_key": key,
        "quantity": round(quantity, 4),
        "free": round(min(quantity, free), 4),
        "unit": entry["unit"] if per == 1 else f"{per:,.0f} {entry['unit']}",
        "unit_price": unit_price,
        "monthly": billable / per * unit_price,
        "source": entry.get("source", ""),
        # A price the table records without having read it from its source page (see its entry).
        "unverified": bool(entry.get("unverified", False)),
    }


def estimate(
    settings: dict[str, Any], prices: dict[str, Any], defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One environment's monthly estimate: ``lines`` (each with ``monthly`` USD) and ``total``."""
    s = validate(settings, defaults)
    table = region_prices(prices, s["platform_region"])
    free = s["cost_apply_always_free"]
    hours = s["cost_hours_per_month"]
    lines: list[dict[str, Any]] = []

    def add(
        key: str, what: str, quantity: float, *, price: float | None = None, detail: str = "", line_id: str = ""
    ) -> None:
        lines.append(_line(table, key, what, quantity, free, price=price, detail=detail, line_id=line_id))

    if s["service_backend"] == "apprunner":
        _apprunner(s, hours, add)
    else:
        _ecs_express(s, hours, add)
    _worker(s, hours, add)
    _database(s, table, hours, add)
    _network_and_storage(s, add)
    _edge_secrets_monitoring(s, hours, add)

    total = sum(line["monthly"] for line in lines)
    for line in lines:
        line["monthly"] = round(line["monthly"], 4)
    return {
        "environment": s["platform_env"],
        "service_backend": s["service_backend"],
        "region": s["platform_region"],
        "currency": prices.get("currency", "USD"),
        "prices_as_of": str(prices.get("as_of", "")),
        "always_free_applied": free,
        "lines": lines,
        "total": round(total, 2),
    }


def estimate_backends(
    settings: dict[str, Any], prices: dict[str, Any], defaults: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The same inventory priced on every backend (``BACKENDS`` order): its choice, side by side."""
    return [estimate({**settings, "service_backend": backend}, prices, defaults) for backend in BACKENDS]


Add = Callable[..., None]


def _apprunner(s: dict[str, Any], hours: float, add: Add) -> None:
    # App Runner: an instance is billed for its memory while provisioned and idle, for its
    # vCPU and memory while it processes requests (the active share of the month). Instances
    # above service_min_size exist only while active (cost_apprunner_extra_instance_hours).
    active_hours = s["service_min_size"] * hours * s["cost_apprunner_active_share"]
    active_hours += s["cost_apprunner_extra_instance_hours"]
    idle_hours = s["service_min_size"] * hours * (1 - s["cost_apprunner_active_share"])
    add(
        "apprunner_provisioned_memory",
        "App Runner provisioned memory (idle instance hours)",
        idle_hours * s["service_memory"],
    )
    add("apprunner_active_vcpu", "App Runner active vCPU", active_hours * s["service_cpu"])
    add("apprunner_active_memory", "App Runner active memory", active_hours * s["service_memory"])


def alb_lcu_hours(s: dict[str, Any], hours: float) -> float:
    """LCU-hours a month: the API's requests and bytes spread evenly over its active hours.

    Each request is counted as a new connection (CloudFront reuses connections to the origin,
    so this is an upper bound); active connections and rule evaluations (an Express service's
    listener has a handful of rules, within the 10 free) are not the largest dimension here.
    """
    active_hours = hours * s["cost_ecs_active_share"]
    if active_hours == 0:
        return 0.0
    connections_per_second = s["cost_api_requests"] / (active_hours * 3600)
    gb_per_hour = s["cost_api_data_gb"] / active_hours
    lcu = max(connections_per_second / ALB_NEW_CONNECTIONS_PER_SECOND_PER_LCU, gb_per_hour / ALB_GB_PER_HOUR_PER_LCU)
    return lcu * active_hours


def _ecs_express(s: dict[str, Any], hours: float, add: Add) -> None:
    # ECS Express Mode: the service's Fargate tasks bill for vCPU and memory from start to stop,
    # busy or idle: service_min_size tasks all month plus the tasks scaling adds
    # (cost_ecs_extra_task_hours). service_cpu is in vCPU, service_memory in GB.
    task_hours = s["service_min_size"] * hours + s["cost_ecs_extra_task_hours"]
    detail = f"{task_hours:g} task h"
    add(
        "fargate_vcpu",
        "ECS Express Fargate vCPU",
        task_hours * s["service_cpu"],
        detail=detail,
        line_id="ecs_fargate_vcpu",
    )
    add(
        "fargate_memory",
        "ECS Express Fargate memory",
        task_hours * s["service_memory"],
        detail=detail,
        line_id="ecs_fargate_memory",
    )
    # The internet-facing Application Load Balancer ECS creates: its hours, its LCUs, and one
    # public IPv4 address per zone it spans (the VPC's zones).
    add("alb_hour", "ECS Express load balancer hours", hours)
    lcu_hours = alb_lcu_hours(s, hours)
    add("alb_lcu_hour", "ECS Express load balancer capacity units", lcu_hours)
    alb_zones = zones(s)
    add(
        "public_ipv4_hour",
        "Public IPv4 addresses of the load balancer",
        alb_zones * hours,
        detail=f"{alb_zones} zones",
        line_id="alb_public_ipv4_hour",
    )
    # Without the VPC (service_egress default) the tasks run in public subnets with a public
    # IPv4 address each; with service_egress vpc they are private and reach out by NAT.
    if s["service_egress"] != "vpc":
        add(
            "public_ipv4_hour",
            "Public IPv4 addresses of the tasks",
            task_hours,
            line_id="ecs_task_public_ipv4_hour",
        )
    # The alarms ECS creates to roll back a failed deployment are counted with the others
    # (CloudWatch alarms, below: cost_ecs_express_alarms).


def _worker(s: dict[str, Any], hours: float, add: Add) -> None:
    # The batch worker (roles/worker, ECS Fargate; worker_cpu in CPU units, worker_memory in MiB).
    task_hours = s["worker_min_size"] * hours + s["cost_worker_extra_task_hours"]
    add("fargate_vcpu", "Worker Fargate vCPU", task_hours * s["worker_cpu"] / 1024)
    add("fargate_memory", "Worker Fargate memory", task_hours * s["worker_memory"] / 1024)


def _database(s: dict[str, Any], table: dict[str, Any], hours: float, add: Add) -> None:
    # RDS: Multi-AZ runs (and bills) a standby instance and a second copy of the storage.
    copies = 2 if s["database_multi_az"] else 1
    storage_gb = s["database_allocated_storage_gb"] + s["cost_database_storage_growth_gb"]
    classes = table.get("rds_instance", {}).get("classes", {})
    if s["database_instance_class"] not in classes:
        raise CostInputError(
            f"database_instance_class {s['database_instance_class']!r} has no price for {s['platform_region']} "
            f"(priced: {', '.join(sorted(classes))}); add it to roles/cost/files/aws_prices.yml"
        )
    az = "Multi-AZ: 2 instances" if copies == 2 else "Single-AZ"
    add(
        "rds_instance",
        "RDS instance hours",
        copies * hours,
        price=classes[s["database_instance_class"]],
        detail=f"{s['database_instance_class']}, {az}",
    )
    add("rds_storage", "RDS storage", copies * storage_gb, detail=f"{storage_gb:g} GB x {copies}")
    # Backups: the automated chain (a full copy plus each day's changes for the retention) and
    # AWS Backup's own chain (roles/backup_plan). As much as the provisioned storage is free.
    used, change = s["cost_database_used_gb"], s["cost_database_daily_change_share"]
    backup_gb = used * (1 + change * s["database_backup_retention_days"])
    backup_gb += used * (1 + change * s["backup_plan_retention_days"])
    add(
        "rds_backup_storage",
        "RDS backup storage beyond the free allowance",
        max(0.0, backup_gb - storage_gb),
    )


def _network_and_storage(s: dict[str, Any], add: Add) -> None:
    hours = s["cost_hours_per_month"]
    # Network: NAT gateway hours, each gateway's public IPv4 address, and the data through them.
    gateways = nat_gateways(s)
    add("nat_gateway_hour", "NAT gateway hours", gateways * hours, detail=f"{gateways} x {s['network_nat_gateway']}")
    add("public_ipv4_hour", "Public IPv4 addresses of the NAT gateways", gateways * hours)
    add("nat_gateway_data", "NAT gateway data processed", s["cost_nat_data_gb"] if gateways else 0.0)

    # Storage: the four buckets, their requests, and AWS Backup's copy of the files bucket.
    add(
        "s3_standard_storage",
        "S3 storage (files, exports, frontend, backups)",
        s["cost_s3_files_gb"] + s["cost_s3_other_gb"],
    )
    add("s3_put_requests", "S3 PUT/POST/LIST requests", s["cost_s3_put_requests"])
    add("s3_get_requests", "S3 GET requests", s["cost_s3_get_requests"])
    files_backup_gb = s["cost_s3_files_gb"] * (
        1 + s["cost_s3_files_daily_change_share"] * s["backup_plan_retention_days"]
    )
    add("backup_s3_storage", "AWS Backup of the files bucket", files_backup_gb)


def _edge_secrets_monitoring(s: dict[str, Any], hours: float, add: Add) -> None:
    # Edge and names.
    add("cloudfront_data_out", "CloudFront data out", s["cost_cloudfront_data_gb"])
    add("cloudfront_https_requests", "CloudFront HTTPS requests", s["cost_cloudfront_requests"])
    add("route53_hosted_zone", "Route 53 hosted zone", s["cost_hosted_zones"])
    add("route53_queries", "Route 53 queries", s["cost_route53_queries"])
    add("acm_public_certificate", "ACM public certificates", s["cost_certificates"])

    # Secrets and keys.
    add("secretsmanager_secret", "Secrets Manager secrets", s["cost_secrets_manager_secrets"])
    add("ssm_standard_parameter", "SSM SecureString parameters (standard)", s["cost_ssm_parameters"])
    # roles/storage makes one customer managed key with storage_encryption kms (none with sse-s3).
    add("kms_key", "KMS customer managed keys", 1.0 if s["storage_encryption"] == "kms" else 0.0)
    add("kms_requests", "KMS requests", s["cost_kms_requests"])

    # Monitoring: alarms, the queue-depth metric the API publishes and its calls, logs.
    alarms = s["cost_cloudwatch_alarms"]
    detail = ""
    if s["service_backend"] == "ecs_express":
        alarms += s["cost_ecs_express_alarms"]
        detail = f"{s['cost_ecs_express_alarms']:g} of them ECS Express's deployment alarms"
    add("cloudwatch_alarm", "CloudWatch alarms", alarms, detail=detail)
    add("cloudwatch_custom_metric", "CloudWatch custom metrics", s["cost_custom_metrics"])
    add("cloudwatch_api_requests", "CloudWatch PutMetricData calls", hours * 3600 / s["service_queue_metric_seconds"])
    add("cloudwatch_logs_ingest", "CloudWatch Logs ingestion", s["cost_log_ingest_gb"])
    add(
        "cloudwatch_logs_storage",
        "CloudWatch Logs storage (retention)",
        s["cost_log_ingest_gb"] * s["monitoring_log_retention_days"] / 30,
    )
    add("ecr_storage", "ECR images kept", s["deploy_ecr_keep_images"] * s["cost_ecr_image_gb"])


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _unit_price(line: dict[str, Any]) -> str:
    return f"{line['unit_price']:g} / {line['unit']}" + (" *" if line.get("unverified") else "")


def render_table(result: dict[str, Any]) -> list[str]:
    """The estimate as text lines: line, quantity, unit price, monthly; then the total."""
    header = ("line", "quantity", "unit price (USD)", "monthly")
    rows = [
        (
            line["line"] + (f" ({line['detail']})" if line["detail"] else ""),
            f"{line['quantity']:,.2f}" + (f" ({line['free']:,.0f} free)" if line["free"] else ""),
            _unit_price(line),
            _money(line["monthly"]),
        )
        for line in result["lines"]
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]

    def fmt(row: tuple[str, ...]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}"

    rule = "-" * len(fmt(header))
    title = (
        f"{result['environment']} ({result['region']}, service_backend {result.get('service_backend', 'apprunner')}), "
        f"monthly estimate in {result['currency']}, "
        f"list prices as of {result['prices_as_of']}"
    )
    total = f"total: {result['currency']} {_money(result['total'])} a month"
    notes = (
        ["* price not read from its source page on the table's date (roles/cost/files/aws_prices.yml): check it"]
        if any(line.get("unverified") for line in result["lines"])
        else []
    )
    return [title, *notes, fmt(header), rule, *(fmt(row) for row in rows), rule, total]


def render_side_by_side(results: list[dict[str, Any]]) -> list[str]:
    """Several environments' estimates, one column each (monthly USD), lines in the first's order."""
    # Lines in the first's order; lines only a later estimate has go just before the next line
    # it shares (ECS Express's after App Runner's, before the worker's), or after its last one.
    names: list[str] = []
    for result in results:
        pending: list[str] = []
        after = len(names)
        for line in result["lines"]:
            if line["line"] not in names:
                pending.append(line["line"])
                continue
            at = names.index(line["line"])
            names[at:at] = pending
            after = at + len(pending) + 1
            pending = []
        names[after:after] = pending
    by_env = [{line["line"]: line["monthly"] for line in result["lines"]} for result in results]
    # A column is its environment, and its backend too when the columns' backends differ.
    backends = {result.get("service_backend", "apprunner") for result in results}
    envs = [
        result["environment"] + (f" {result.get('service_backend', 'apprunner')}" if len(backends) > 1 else "")
        for result in results
    ]
    rows = [(name, *(_money(monthly.get(name, 0.0)) for monthly in by_env)) for name in names]
    header = ("line", *envs)
    totals = ("total", *(_money(result["total"]) for result in results))
    widths = [max(len(row[i]) for row in [header, *rows, totals]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join([f"{row[0]:<{widths[0]}}", *(f"{cell:>{widths[i + 1]}}" for i, cell in enumerate(row[1:]))])

    rule = "-" * len(fmt(header))
    return [fmt(header), rule, *(fmt(row) for row in rows), rule, fmt(totals)]
