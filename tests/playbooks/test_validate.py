"""site.yml validates every role of the run before its first AWS call, and reports all problems."""

from __future__ import annotations

import re

import pytest

from tests.playbooks.helpers import ROOT, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

# One bad value per rule the earlier checks let through (and a few they caught), across tiers
# that run late in site.yml: each must be named in the one refusal.
BAD = {
    "service_max_size": "abc",  # argument spec: type int
    "database_instance_class": "db.x9.mega",  # has a class's shape, is no RDS class
    "platform_region": "us-fake-1",  # has a region's shape
    "network_vpc_cidr": "10.20.0.1/16",  # host bits set
    "network_private_subnet_cidrs": ["10.20.0.0/23", "10.20.11.0/29"],  # overlaps a public subnet; /29 too small
    "monitoring_alarm_emails": ["ops@example..com", "ops@example.com"],
    "monitoring_log_retention_days": 31,  # CloudWatch Logs takes 30 or 60
    "database_backup_retention_days": 36,  # RDS takes 0-35
    "database_port": 80,
    "service_cpu": "2",
    "service_memory": "12",  # App Runner: 2 vCPU goes with 4 or 6 GB
    "service_trusted_proxies": ["10.0.0.0/8", "192.0.2.1", "10.0.0.1/8", "proxy.example"],
    "deploy_source": "tarball",  # argument spec: image or code
    "deploy_code_connection_name": "gh",  # App Runner: 4-32 characters
    "deploy_code_repository_url": "https://me:not-a-real-token@git.example/invoice.git",  # credentials in the URL
    "deploy_update_service": False,  # "only build": not with a source App Runner builds and deploys (code)
    "cdn_frontend_dir": str(ROOT / "frontend" / "src"),  # a directory, but no built UI (no index.html)
}
EXPECTED = [
    "service: argument 'service_max_size' is of type str and we were unable to convert to int",
    "service_max_size must be 1-25, got abc",
    'database_instance_class "db.x9.mega" is not an RDS PostgreSQL instance class',
    'platform_region is not an AWS region name, got "us-fake-1"',
    'network_vpc_cidr must be an IPv4 network from /16 to /24, got "10.20.0.1/16"',
    'subnet CIDR "10.20.11.0/29"',
    "10.20.0.0/24 overlaps 10.20.0.0/23",
    'monitoring_alarm_emails entry "ops@example..com" is not an e-mail address',
    "monitoring_log_retention_days must be one of the values CloudWatch Logs takes",
    "database_backup_retention_days must be 1-35",
    "database_port must be 1150-65535, got 80",
    "service_memory 12 GB does not go with service_cpu 2 vCPU (App Runner allows 4, 6 GB)",
    "service_trusted_proxies must be IPv4 networks (CIDR) or addresses, got 10.0.0.1/8, proxy.example",
    "value of deploy_source must be one of: image, code, got: tarball",
    'deploy_source must be image or code, got "tarball"',
    'deploy_code_connection_name must be 4-32 of A-Z a-z 0-9 _ -, got "gh"',
    "deploy_code_repository_url must not carry credentials (user:token@)",
    'deploy_update_service false (only build and push) needs deploy_source image: with deploy_source "tarball"',
    # the worker tier needs the API's image (and its settings), which a source other than image does not give
    'worker: the worker tier runs the API\'s image, and with deploy_source "tarball" the API has none',
    "frontend/src has no index.html: build the web UI first with `make frontend`",
]


def test_site_refuses_bad_values_of_every_tier_before_any_aws_call(localaws: str) -> None:
    reset_calls(localaws)
    run = run_playbook("site.yml", extra_vars={**BAD, "deploy_allow_dirty": True})
    assert run.rc != 0
    assert calls(localaws) == [], "not even STS: the settings are checked before the first AWS call"
    (message,) = [m for m in run.failure_messages() if m.startswith("Settings refused")]
    assert "nothing was created or changed" in message
    missing = [e for e in EXPECTED if e not in message]
    assert missing == [], message
    assert "not-a-real-token" not in run.stdout + run.stderr  # the refused URL is not echoed
    assert "ops@example.com" not in message.replace("ops@example..com", "")


def test_validate_passes_the_local_inventory_without_touching_aws(localaws: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/validate.yml", extra_vars={"deploy_allow_dirty": True})
    assert run.rc == 0, run.explain()
    assert run.changed == 0
    result = run.task("Refuse to run with bad settings")
    # Every role of site.yml, new tiers included, with no list of roles to keep up to date.
    names = {p.parent.parent.name for p in ROOT.glob("roles/*/tasks/main.yml")}
    books = [
        ROOT / "playbooks" / b for b in re.findall(r"import_playbook: playbooks/(\S+)", (ROOT / "site.yml").read_text())
    ]
    used = {n for n in names if any(re.search(rf"role: (invoice\.platform\.)?{n}\n", b.read_text()) for b in books)}
    assert f"The settings of {len(used)} roles passed" in result["msg"], result["msg"]
    assert all(n in result["msg"] for n in used)
    assert calls(localaws) == []


def test_a_tier_alone_still_validates_itself(localaws: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/database.yml", extra_vars={"database_instance_class": "db.x9.mega"})
    assert run.rc != 0
    assert any('database_instance_class "db.x9.mega"' in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["service"] not in ("sts", "iam")] == []  # preflight only
