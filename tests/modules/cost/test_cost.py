"""The cost arithmetic (plugins/module_utils/cost.py) against hand calculations.

The settings are the staging and prod inventories' values (group_vars/all/*.yml, cost.yml
included) and roles/cost's defaults, written out; each expected figure is worked by hand in
the comment beside it, never by calling the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.invoice.platform.plugins.module_utils.cost import (
    CostInputError,
    estimate,
    estimate_backends,
    render_side_by_side,
    render_table,
)

ROOT = Path(__file__).resolve().parents[3]
PRICES = yaml.safe_load((ROOT / "roles/cost/files/aws_prices.yml").read_text(encoding="utf-8"))

ASSUMPTIONS: dict[str, Any] = {
    "cost_hours_per_month": 730,
    "cost_apply_always_free": True,
    "cost_apprunner_active_share": 0.25,
    "cost_apprunner_extra_instance_hours": 0,
    "cost_worker_extra_task_hours": 10,
    "cost_ecs_active_share": 0.25,
    "cost_ecs_extra_task_hours": 0,
    "cost_ecs_express_alarms": 1,
    # roles/cost defaults: cost_cloudfront_requests and cost_cloudfront_data_gb
    "cost_api_requests": 2000000,
    "cost_api_data_gb": 50,
    "cost_database_storage_growth_gb": 0,
    "cost_database_used_gb": 5,
    "cost_database_daily_change_share": 0.05,
    "cost_nat_data_gb": 20,
    "cost_s3_files_gb": 5,
    "cost_s3_other_gb": 5,
    "cost_s3_files_daily_change_share": 0.01,
    "cost_s3_put_requests": 100000,
    "cost_s3_get_requests": 1000000,
    "cost_cloudfront_data_gb": 50,
    "cost_cloudfront_requests": 2000000,
    "cost_route53_queries": 1000000,
    "cost_hosted_zones": 1,
    "cost_certificates": 1,
    "cost_secrets_manager_secrets": 1,
    "cost_ssm_parameters": 2,
    "cost_kms_requests": 100000,
    "cost_cloudwatch_alarms": 11,
    "cost_custom_metrics": 1,
    "cost_log_ingest_gb": 2,
    "cost_ecr_image_gb": 0.3,
}

STAGING: dict[str, Any] = {
    **ASSUMPTIONS,
    "platform_env": "staging",
    "platform_region": "us-east-1",
    "service_backend": "apprunner",
    "service_egress": "vpc",
    "service_cpu": "1",
    "service_memory": "2",
    "service_min_size": 1,
    "service_queue_metric_seconds": 30,  # roles/service default
    "worker_cpu": 512,
    "worker_memory": 1024,
    "worker_min_size": 0,
    "database_instance_class": "db.t3.micro",
    "database_allocated_storage_gb": 20,
    "database_multi_az": False,
    "database_backup_retention_days": 7,
    "backup_plan_retention_days": 14,
    "network_nat_gateway": "single",
    "network_availability_zones": [],
    "deploy_ecr_keep_images": 20,
    "storage_encryption": "sse-s3",
    "monitoring_log_retention_days": 14,
    # inventories/staging/group_vars/all/cost.yml
    "cost_apprunner_active_share": 0.1,
    "cost_worker_extra_task_hours": 5,
    "cost_cloudfront_data_gb": 10,
    "cost_log_ingest_gb": 1,
    "cost_ecs_active_share": 0.1,
    "cost_api_data_gb": 10,  # follows cost_cloudfront_data_gb
}

PROD: dict[str, Any] = {
    **STAGING,
    **ASSUMPTIONS,
    "platform_env": "prod",
    "service_cpu": "2",
    "service_memory": "4",
    "worker_cpu": 1024,
    "worker_memory": 2048,
    "worker_min_size": 1,
    "database_instance_class": "db.t3.small",
    "database_multi_az": True,
    "database_backup_retention_days": 14,
    "backup_plan_retention_days": 35,
    "network_nat_gateway": "per_az",
    "storage_encryption": "kms",
    "monitoring_log_retention_days": 90,
    # inventories/prod/group_vars/all/cost.yml
    "cost_apprunner_active_share": 0.5,
    "cost_apprunner_extra_instance_hours": 100,
    "cost_worker_extra_task_hours": 40,
    "cost_database_used_gb": 10,
    "cost_nat_data_gb": 50,
    "cost_s3_files_gb": 50,
    "cost_s3_put_requests": 500000,
    "cost_s3_get_requests": 5000000,
    "cost_cloudfront_data_gb": 200,
    "cost_cloudfront_requests": 10000000,
    "cost_log_ingest_gb": 10,
    "cost_ecs_active_share": 0.5,
    "cost_ecs_extra_task_hours": 100,
    "cost_api_requests": 10000000,  # follow cost_cloudfront_requests / _data_gb
    "cost_api_data_gb": 200,
}

# staging, by hand (730 h):
STAGING_LINES = {
    "apprunner_provisioned_memory": 9.198,  # 1 x 730 x 0.9 idle h x 2 GB = 1314 GB-h x 0.007
    "apprunner_active_vcpu": 4.672,  # 73 active h x 1 vCPU x 0.064
    "apprunner_active_memory": 1.022,  # 73 h x 2 GB = 146 x 0.007
    "fargate_vcpu": 0.1012,  # 5 task h x 0.5 vCPU = 2.5 x 0.04048
    "fargate_memory": 0.022225,  # 5 h x 1 GB x 0.004445
    "rds_instance": 13.14,  # 730 x 0.018 (Single-AZ)
    "rds_storage": 2.30,  # 20 GB x 0.115
    "rds_backup_storage": 0.0,  # 5 x (1 + 0.05 x 7) + 5 x (1 + 0.05 x 14) = 15.25 GB < 20 GB free
    "nat_gateway_hour": 32.85,  # 1 x 730 x 0.045
    "public_ipv4_hour": 3.65,  # 1 x 730 x 0.005
    "nat_gateway_data": 0.90,  # 20 GB x 0.045
    "s3_standard_storage": 0.23,  # 10 GB x 0.023
    "s3_put_requests": 0.50,  # 100,000 / 1,000 x 0.005
    "s3_get_requests": 0.40,  # 1,000,000 / 1,000 x 0.0004
    "backup_s3_storage": 0.285,  # 5 x (1 + 0.01 x 14) = 5.7 GB x 0.05
    "cloudfront_data_out": 0.0,  # 10 GB within the free 1,024
    "cloudfront_https_requests": 0.0,  # 2 M within the free 10 M
    "route53_hosted_zone": 0.50,
    "route53_queries": 0.40,  # 1 M x 0.40
    "acm_public_certificate": 0.0,
    "secretsmanager_secret": 0.40,
    "ssm_standard_parameter": 0.0,
    "kms_key": 0.0,  # sse-s3: no customer managed key
    "kms_requests": 0.24,  # (100,000 - 20,000 free) / 10,000 x 0.03
    "cloudwatch_alarm": 0.10,  # (11 - 10 free) x 0.10
    "cloudwatch_custom_metric": 0.0,  # 1 within the free 10
    "cloudwatch_api_requests": 0.0,  # 730 x 3600 / 30 = 87,600 within the free 1 M
    "cloudwatch_logs_ingest": 0.0,  # 1 GB within the free 5
    "cloudwatch_logs_storage": 0.014,  # 1 GB x 14 / 30 days = 0.4667 GB x 0.03
    "ecr_storage": 0.60,  # 20 images x 0.3 GB x 0.10
}
# 9.198 + 4.672 + 1.022 + 0.1012 + 0.022225 + 13.14 + 2.30 + 32.85 + 3.65 + 0.90 + 0.23 + 0.50
# + 0.40 + 0.285 + 0.50 + 0.40 + 0.40 + 0.24 + 0.10 + 0.014 + 0.60 = 71.524425
STAGING_TOTAL = 71.52

# prod, by hand (730 h):
PROD_LINES = {
    "apprunner_provisioned_memory": 10.22,  # 730 x 0.5 idle = 365 h x 4 GB = 1460 GB-h x 0.007
    "apprunner_active_vcpu": 59.52,  # (365 + 100 extra) = 465 h x 2 vCPU = 930 x 0.064
    "apprunner_active_memory": 13.02,  # 465 h x 4 GB = 1860 x 0.007
    "fargate_vcpu": 31.1696,  # (730 + 40) = 770 task h x 1 vCPU x 0.04048
    "fargate_memory": 6.8453,  # 770 h x 2 GB = 1540 x 0.004445
    "rds_instance": 52.56,  # Multi-AZ: 2 x 730 = 1460 h x 0.036
    "rds_storage": 4.60,  # 2 copies x 20 GB = 40 x 0.115
    "rds_backup_storage": 2.3275,  # 10 x (1 + 0.05 x 14) + 10 x (1 + 0.05 x 35) = 44.5 - 20 free = 24.5 x 0.095
    "nat_gateway_hour": 65.70,  # per_az, 2 zones: 1460 h x 0.045
    "public_ipv4_hour": 7.30,  # 1460 h x 0.005
    "nat_gateway_data": 2.25,  # 50 GB x 0.045
    "s3_standard_storage": 1.265,  # 55 GB x 0.023
    "s3_put_requests": 2.50,  # 500,000 / 1,000 x 0.005
    "s3_get_requests": 2.00,  # 5,000,000 / 1,000 x 0.0004
    "backup_s3_storage": 3.375,  # 50 x (1 + 0.01 x 35) = 67.5 GB x 0.05
    "cloudfront_data_out": 0.0,  # 200 GB within the free 1,024
    "cloudfront_https_requests": 0.0,  # 10 M: all free
    "route53_hosted_zone": 0.50,
    "route53_queries": 0.40,
    "acm_public_certificate": 0.0,
    "secretsmanager_secret": 0.40,
    "ssm_standard_parameter": 0.0,
    "kms_key": 1.00,  # storage_encryption kms: one key
    "kms_requests": 0.24,
    "cloudwatch_alarm": 0.10,
    "cloudwatch_custom_metric": 0.0,
    "cloudwatch_api_requests": 0.0,
    "cloudwatch_logs_ingest": 2.50,  # (10 - 5 free) GB x 0.50
    "cloudwatch_logs_storage": 0.90,  # 10 GB x 90 / 30 = 30 GB x 0.03
    "ecr_storage": 0.60,
}
# 10.22 + 59.52 + 13.02 + 31.1696 + 6.8453 + 52.56 + 4.60 + 2.3275 + 65.70 + 7.30 + 2.25 + 1.265
# + 2.50 + 2.00 + 3.375 + 0.50 + 0.40 + 0.40 + 1.00 + 0.24 + 0.10 + 2.50 + 0.90 + 0.60 = 271.2924
PROD_TOTAL = 271.29


def test_prod_lines_show_what_doubles() -> None:
    result = {line["price_key"]: line for line in estimate(PROD, PRICES)["lines"]}
    assert result["rds_instance"]["detail"] == "db.t3.small, Multi-AZ: 2 instances"
    assert result["rds_instance"]["quantity"] == 1460
    assert result["nat_gateway_hour"]["detail"] == "2 x per_az"


def test_unset_tier_settings_come_from_the_defaults() -> None:
    settings = {k: v for k, v in STAGING.items() if k != "service_queue_metric_seconds"}
    with pytest.raises(CostInputError, match="service_queue_metric_seconds is not set"):
        estimate(settings, PRICES)
    assert estimate(settings, PRICES, {"service_queue_metric_seconds": 30})["total"] == STAGING_TOTAL


def test_side_by_side_has_a_column_per_environment() -> None:
    rows = render_side_by_side([estimate(STAGING, PRICES), estimate(PROD, PRICES)])
    assert rows[0].split() == ["line", "staging", "prod"]
    assert rows[-1].split() == ["total", "71.52", "271.29"]
    rds = next(row for row in rows if row.startswith("RDS instance hours"))
    assert rds.split()[-2:] == ["13.14", "52.56"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cost_nat_data_gb": -1}, "cost_nat_data_gb must be zero or more, got -1"),
        ({"cost_apprunner_active_share": 1.5}, "cost_apprunner_active_share is a share of the month between 0 and 1"),
        ({"service_cpu": "two"}, "service_cpu must be a number, got 'two'"),
        ({"database_multi_az": "yes"}, "database_multi_az must be true or false"),
        ({"platform_region": "eu-central-1"}, "platform_region 'eu-central-1' has no prices in the price table"),
        (
            {"database_instance_class": "db.r7g.large"},
            "database_instance_class 'db.r7g.large' has no price for us-east-1",
        ),
        ({"network_nat_gateway": "two"}, "network_nat_gateway must be one of none, single, per_az"),
        ({"service_backend": "lambda"}, "service_backend must be one of apprunner, ecs_express, got 'lambda'"),
        ({"cost_ecs_active_share": 2}, "cost_ecs_active_share is a share of the month between 0 and 1"),
        ({"cost_api_requests": -5}, "cost_api_requests must be zero or more, got -5"),
        ({"service_egress": ""}, "service_egress must be a non-empty string"),
    ],
)
def test_bad_input_names_the_variable(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CostInputError) as err:
        estimate({**STAGING, **change}, PRICES)
    assert message in str(err.value)


def test_every_price_names_its_source_and_date() -> None:
    for region, entries in PRICES["regions"].items():
        for key, entry in entries.items():
            assert entry["source"].startswith("https://aws.amazon.com/"), (region, key)
            assert entry["read"] == "2026-12-02", (region, key)


# The same inventories on ECS Express Mode, by hand (730 h). The App Runner lines go; the
# tasks, the load balancer and its addresses come; one more alarm.
STAGING_ECS_LINES = {
    "ecs_fargate_vcpu": 29.5504,  # 1 task x 730 h x 1 vCPU x 0.04048
    "ecs_fargate_memory": 6.4897,  # 730 h x 2 GB = 1460 GB-h x 0.004445
    "alb_hour": 16.425,  # 730 x 0.0225
    # 73 active h: 2 M requests / (73 x 3600 s) = 7.61 new connections/s = 0.3044 LCU (25 a
    # second each) beats 10 GB / 73 h = 0.137 GB/h; 0.3044 x 73 = 22.22 LCU-h x 0.008
    "alb_lcu_hour": 0.177778,
    "alb_public_ipv4_hour": 7.30,  # 2 zones (none named: the first two) x 730 x 0.005
    "cloudwatch_alarm": 0.20,  # 11 + 1 deployment alarm - 10 free = 2 x 0.10
}
# 71.524425 - (9.198 + 4.672 + 1.022) + (29.5504 + 6.4897 + 16.425 + 0.177778 + 7.30) + 0.10
STAGING_ECS_TOTAL = 116.68
PROD_ECS_LINES = {
    "ecs_fargate_vcpu": 67.1968,  # (730 + 100 extra) = 830 task h x 2 vCPU = 1660 x 0.04048
    "ecs_fargate_memory": 14.7574,  # 830 h x 4 GB = 3320 x 0.004445
    "alb_hour": 16.425,
    # 365 active h: 200 GB / 365 = 0.548 GB/h = 0.548 LCU beats 10 M / (365 x 3600) / 25 =
    # 0.304; 0.548 x 365 = 200 LCU-h x 0.008
    "alb_lcu_hour": 1.60,
    "alb_public_ipv4_hour": 7.30,
    "cloudwatch_alarm": 0.20,
}
# 271.2924 - (10.22 + 59.52 + 13.02) + (67.1968 + 14.7574 + 16.425 + 1.60 + 7.30) + 0.10
PROD_ECS_TOTAL = 295.91


def _on_ecs_express(apprunner_lines: dict[str, float], ecs_lines: dict[str, float]) -> dict[str, float]:
    # Every line as on App Runner but App Runner's own, and ECS Express's (alarm count included).
    return {**{k: v for k, v in apprunner_lines.items() if not k.startswith("apprunner_")}, **ecs_lines}


@pytest.mark.parametrize(
    ("settings", "lines", "total"),
    [
        (STAGING, STAGING_LINES, STAGING_TOTAL),
        (PROD, PROD_LINES, PROD_TOTAL),
        (
            {**STAGING, "service_backend": "ecs_express"},
            _on_ecs_express(STAGING_LINES, STAGING_ECS_LINES),
            STAGING_ECS_TOTAL,
        ),
        ({**PROD, "service_backend": "ecs_express"}, _on_ecs_express(PROD_LINES, PROD_ECS_LINES), PROD_ECS_TOTAL),
    ],
    ids=["staging", "prod", "staging-ecs_express", "prod-ecs_express"],
)
def test_estimate_matches_the_hand_calculation(settings: dict[str, Any], lines: dict[str, float], total: float) -> None:
    result = estimate(settings, PRICES)
    got = {line["id"]: line["monthly"] for line in result["lines"]}
    assert got == pytest.approx(lines, abs=1e-4)
    assert result["total"] == total
    assert result["environment"] == settings["platform_env"]
    assert result["service_backend"] == settings["service_backend"]
    assert result["prices_as_of"] == "2026-12-02"
    table = render_table(result)
    assert f"service_backend {settings['service_backend']}" in table[0]
    # The ALB's prices, recorded unread, are marked (App Runner's lines have none).
    marked = [row.split("  ")[0] for row in table if row.rstrip().endswith(" *") or " * " in row]
    on_ecs = settings["service_backend"] == "ecs_express"
    assert marked == (["ECS Express load balancer hours", "ECS Express load balancer capacity units"] if on_ecs else [])
    assert table[1].startswith("* price not read") == on_ecs
    assert table[-1] == f"total: USD {total:,.2f} a month"


def test_ecs_express_tasks_outside_the_vpc_pay_for_public_addresses() -> None:
    lines = {
        line["id"]: line
        for line in estimate({**STAGING, "service_backend": "ecs_express", "service_egress": "default"}, PRICES)[
            "lines"
        ]
    }
    # 730 task h, one public IPv4 each, x 0.005
    assert lines["ecs_task_public_ipv4_hour"]["monthly"] == pytest.approx(3.65)
    private = {line["id"] for line in estimate({**STAGING, "service_backend": "ecs_express"}, PRICES)["lines"]}
    assert "ecs_task_public_ipv4_hour" not in private


def test_ecs_express_lcus_follow_the_zones_and_traffic() -> None:
    settings = {
        **STAGING,
        "service_backend": "ecs_express",
        "network_availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "cost_ecs_active_share": 0,
    }
    lines = {line["id"]: line for line in estimate(settings, PRICES)["lines"]}
    assert lines["alb_lcu_hour"]["quantity"] == 0  # no active hours: no traffic, no LCU
    assert lines["alb_public_ipv4_hour"]["quantity"] == 3 * 730
    assert lines["alb_public_ipv4_hour"]["monthly"] == pytest.approx(10.95)  # 2190 x 0.005


def test_compare_backends_puts_each_backend_in_a_column() -> None:
    staging = estimate_backends(STAGING, PRICES)
    assert [result["service_backend"] for result in staging] == ["apprunner", "ecs_express"]
    assert [result["total"] for result in staging] == [STAGING_TOTAL, STAGING_ECS_TOTAL]
    rows = render_side_by_side(staging)
    assert rows[0].split() == ["line", "staging", "apprunner", "staging", "ecs_express"]
    assert rows[-1].split() == ["total", f"{STAGING_TOTAL:.2f}", f"{STAGING_ECS_TOTAL:.2f}"]
    names = [row[:52].strip() for row in rows[2:-2]]
    # ECS's lines follow App Runner's at the top, before the worker's.
    assert names[:6] == [
        "App Runner provisioned memory (idle instance hours)",
        "App Runner active vCPU",
        "App Runner active memory",
        "ECS Express Fargate vCPU",
        "ECS Express Fargate memory",
        "ECS Express load balancer hours",
    ]
    assert names.index("Public IPv4 addresses of the load balancer") + 1 == names.index("Worker Fargate vCPU")
    alb = next(row for row in rows if row.startswith("ECS Express load balancer hours"))
    assert alb.split()[-2:] == ["0.00", "16.43"]


def test_make_cost_table_names_each_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # tools/cost_table (the last step of make cost) over two written estimates on different backends.
    from tools.cost_table import main

    paths = []
    for settings in (STAGING, {**PROD, "service_backend": "ecs_express"}):
        path = tmp_path / f"{settings['platform_env']}-cost.json"
        path.write_text(json.dumps(estimate(settings, PRICES)), encoding="utf-8")
        paths.append(str(path))
    assert main(paths) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "service_backend: staging apprunner, prod ecs_express"
    assert out[2].split() == ["line", "staging", "apprunner", "prod", "ecs_express"]
    assert out[-1].split() == ["total", f"{STAGING_TOTAL:.2f}", f"{PROD_ECS_TOTAL:.2f}"]
