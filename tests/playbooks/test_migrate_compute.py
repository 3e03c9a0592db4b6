"""playbooks/migrate_compute.yml: a running local App Runner stack moves to ECS Express Mode while a
thread of requests goes through the local CloudFront, whose /api/* origin is the API's name
(api.<domain>, resolved through the endpoint's Route 53, one weighted record per request). No
request fails in any phase; --check writes nothing; App Runner goes only with the confirmation;
a second run changes nothing. A failed step (its soak fails) moves the traffic back: a cheap run
of the step's task file against a fake failing endpoint."""

from __future__ import annotations

import datetime
import json
import os
import shlex
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers import QuietHandler, http_server
from tests.modules.helpers import run_tasks
from tests.playbooks.helpers import ROOT, run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls
from tests.playbooks.test_service import NAME, SECRETS
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow
DOMAIN = "api.invoice-processing.test"
ZONE = "invoice-processing.test"
IDS = {"apprunner": f"{NAME}-apprunner", "ecs_express": f"{NAME}-ecs-express"}
# The stand-in API both backends run: /api/health with the API's version and build (the
# service's APP_BUILD_ID), and which backend answered (the command's second argument).
SERVER = """import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "version": "1.0.0", "build": os.environ.get("APP_BUILD_ID", ""),
                           "backend": sys.argv[2]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""
BASE = {"service_secrets": SECRETS, "service_egress": "default", "service_env": {"APP_BUILD_ID": "b-0042"}}
PAUSE = 0.01  # between two requests of the load: ~50 a second, the playbooks keep most of the CPU
FAST = {"migrate_steps": [50, 100], "migrate_soak_requests": 10, "migrate_soak_seconds": 1.5, "migrate_retire_wait": 0}


def timed(label: str, playbook: str, **kwargs: Any) -> Any:
    start = time.monotonic()
    run = converge(playbook, **kwargs)
    print(f"{label}: {time.monotonic() - start:.1f} s")
    return run


def import_api_certificate() -> str:
    """An issued certificate for api.<domain> in the service's region (what the certificates tier
    requests and validates for the ECS Express load balancer, imported here to keep the test short)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return str(
        boto3.client("acm").import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM), PrivateKey=pem_key
        )["CertificateArn"]
    )


def records() -> list[dict[str, Any]]:
    route53 = boto3.client("route53")
    (zone,) = route53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][:1]
    found = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    return [r for r in found if r["Name"] == f"{DOMAIN}." and r["Type"] in ("A", "CNAME")]


def apprunner_services() -> list[str]:
    return [s["ServiceName"] for s in boto3.client("apprunner").list_services()["ServiceSummaryList"]]


class Load:
    """Plain HTTP requests to the distribution's /api/health, one after the other, counted per phase."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.phase = "before"
        self.figures: dict[str, dict[str, Any]] = {}
        self.failures: list[tuple[str, str]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def enter(self, phase: str) -> None:
        self.phase = phase

    def run(self) -> None:
        while not self.done.is_set():
            phase = self.phase
            figures = self.figures.setdefault(
                phase, {"requests": 0, "errors": 0, "started": time.monotonic(), "backends": {}}
            )
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=10) as response:
                    backend = json.loads(response.read())["backend"]
                figures["backends"][backend] = figures["backends"].get(backend, 0) + 1
            except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
                figures["errors"] += 1
                self.failures.append((phase, repr(exc)))
            figures["requests"] += 1
            figures["ended"] = time.monotonic()
            time.sleep(PAUSE)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.done.set()
        self.thread.join(timeout=30)

    def report(self) -> str:
        lines = []
        for phase, f in self.figures.items():
            seconds = f.get("ended", f["started"]) - f["started"]
            lines.append(
                f"{phase}: {f['requests']} requests, {f['errors']} errors, {seconds:.1f} s, by backend {f['backends']}"
            )
        return "\n".join(lines)


def test_migration_moves_the_api_with_no_failed_request(localaws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    for backend, variable in (
        ("apprunner", "LOCALAWS_APPRUNNER_COMMAND"),
        ("ecs_express", "LOCALAWS_ECS_EXPRESS_COMMAND"),
    ):
        monkeypatch.setenv(variable, shlex.join([sys.executable, "-c", SERVER, "$PORT", backend]))
    boto3.client("ssm").put_parameter(Name="/invoice/local/jwt-secret", Value="x" * 40, Type="SecureString")
    # The smallest App Runner stack the move needs: the API's certificate for the load balancer, the
    # service with its custom domain (App Runner's CNAME), CloudFront (no aliases, so no certificate
    # of its own) with its /api/* origin on the name.
    import_api_certificate()
    timed("service", "playbooks/service.yml", extra_vars=BASE)
    (cname,) = records()
    assert cname["Type"] == "CNAME" and "SetIdentifier" not in cname
    cdn = timed(
        "cdn",
        "playbooks/cdn.yml",
        extra_vars={**BASE, "cdn_frontend_upload": False, "cdn_aliases": [], "cdn_api_origin_domain": DOMAIN},
    )
    assert cdn.task("Settle the API origin")["ansible_facts"]["__cdn_api_domain"] == DOMAIN
    edge = cdn.task("Read the distribution's local URL from the local endpoint")["json"]["LocalUrl"]
    migrate = {**BASE, **FAST, "migrate_soak_url": f"{edge}/api/health"}

    with Load(edge) as load:
        time.sleep(0.5)
        # The plan: what would be created and shifted, with no mutating call.
        load.enter("check")
        reset_calls(localaws)
        plan = timed("migrate --check", "playbooks/migrate_compute.yml", check=True, diff=True, extra_vars=migrate)
        assert mutating(calls(localaws)) == []
        assert "invoice.platform.service : Converge the ECS Express service" in plan.changed_tasks()
        assert (
            "Would create the ECS Express service"
            in plan.task("Plan the steps of a service that does not exist yet")["msg"]
        )
        assert records() == [cname]

        # A step that fails (its soak finds nothing at the URL): the service is created, the name goes
        # back to 100/0 App Runner. The plan of the re-run reads both backends' health (read-only GETs,
        # in check mode too) and plans the steps again, still with no mutating call.
        load.enter("failed step")
        dead = {**migrate, "migrate_soak_url": "http://127.0.0.1:9/api/health"}
        failed = run_playbook("playbooks/migrate_compute.yml", extra_vars=dead)
        assert failed.rc != 0
        assert failed.task("Fail the migration at this step")["msg"].startswith("Step 50 % (ECS Express) failed")
        assert {r["SetIdentifier"]: r["Weight"] for r in records()} == {IDS["apprunner"]: 100, IDS["ecs_express"]: 0}
        reset_calls(localaws)
        replan = timed(
            "migrate --check again", "playbooks/migrate_compute.yml", check=True, diff=True, extra_vars=migrate
        )
        assert mutating(calls(localaws)) == []
        assert replan.task("Smoke-test the ECS Express service")["json"]["build"] == "b-0042"
        assert "would be 100 % on ECS Express" in replan.task("Keep App Runner until the migration is confirmed")["msg"]
        assert {r["SetIdentifier"]: r["Weight"] for r in records()} == {IDS["apprunner"]: 100, IDS["ecs_express"]: 0}

        # Without the confirmation: smoke-tested, shifted 50 then 100 %, App Runner kept.
        load.enter("shift")
        shifted = timed("migrate", "playbooks/migrate_compute.yml", extra_vars=migrate)
        soaks = shifted.task("Report the soaks")["msg"]
        assert [(s["step"], s["errors"], s["requests"]) for s in soaks] == [(50, 0, 10), (100, 0, 10)]
        assert "migrate_confirm=local" in shifted.task("Keep App Runner until the migration is confirmed")["msg"]
        assert {r["SetIdentifier"]: r["Weight"] for r in records()} == {IDS["apprunner"]: 0, IDS["ecs_express"]: 100}
        assert apprunner_services() == [NAME]
        health = shifted.task("Smoke-test the ECS Express service")["json"]
        assert (health["backend"], health["build"]) == ("ecs_express", "b-0042")
        load.enter("at 100 %")
        time.sleep(1)

        # With it: one alias record to the load balancer, App Runner deleted.
        load.enter("retire")
        retired = timed(
            "migrate confirmed", "playbooks/migrate_compute.yml", extra_vars={**migrate, "migrate_confirm": "local"}
        )
        assert "invoice.platform.service : Delete the service" in retired.changed_tasks()
        (alias,) = records()
        assert alias["Type"] == "A" and "SetIdentifier" not in alias
        assert (
            alias["AliasTarget"]["DNSName"].rstrip(".")
            == shifted.task("Settle the ECS Express target")["ansible_facts"]["__migrate_ecs_target"]
        )
        assert NAME not in apprunner_services() or boto3.client("apprunner").list_services()["ServiceSummaryList"][0][
            "Status"
        ] in ("DELETED", "OPERATION_IN_PROGRESS")

        # After completion a second run changes nothing and makes no mutating call.
        load.enter("after")
        again, log = noop_calls(
            localaws, "playbooks/migrate_compute.yml", extra_vars={**migrate, "migrate_confirm": "local"}
        )
        assert again.changed == 0, again.changed_tasks()
        assert mutating(log) == []
        time.sleep(0.5)
    print("\nmigration figures (requests through the local CloudFront):\n" + load.report())
    assert load.failures == [], load.failures[:5]
    figures = load.figures
    assert all(f["requests"] > 0 for f in figures.values())
    assert set(figures["before"]["backends"]) == {"apprunner"}
    assert set(figures["shift"]["backends"]) == {"apprunner", "ecs_express"}  # the weighted steps
    assert set(figures["at 100 %"]["backends"]) == {"ecs_express"}
    assert set(figures["after"]["backends"]) == {"ecs_express"}


class _Failing(QuietHandler):
    """An API whose health fails (503), as one would when the new backend breaks mid-step."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def failing_api() -> Iterator[str]:
    with http_server(_Failing) as port:
        yield f"http://127.0.0.1:{port}/api/health"


@pytest.mark.parametrize("soak", ["through the name", "of the service's own URL"])
def test_a_failed_step_moves_the_traffic_back_and_names_the_step(localaws: str, failing_api: str, soak: str) -> None:
    """The step's task file alone: the 50 % change is written, a soak fails (the ECS Express
    service's own URL, or the name's), the name goes back to 100/0 App Runner and the run fails
    naming the step (no migration needed to see it)."""
    route53 = boto3.client("route53")
    zone = route53.create_hosted_zone(Name=ZONE, CallerReference="migrate-step")["HostedZone"]["Id"].rsplit("/", 1)[-1]
    simple = {
        "Name": DOMAIN,
        "Type": "CNAME",
        "TTL": 300,
        "ResourceRecords": [{"Value": "abcd.us-east-1.awsapprunner.com"}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": simple}]}
    )
    facts = {
        "__migrate_zone_id": zone,
        "__migrate_domain": DOMAIN,
        "__migrate_name": NAME,
        "__migrate_ids": IDS,
        "__migrate_apprunner_target": "abcd.us-east-1.awsapprunner.com",
        "__migrate_ecs_target": "ecsx-api-1.us-east-1.elb.amazonaws.com",
        "migrate_record_ttl": 60,
        "migrate_soak_url": failing_api,
        "migrate_soak_requests": 3,
        "migrate_soak_seconds": 0,
        "migrate_max_error_rate": 0,
    }
    if soak == "of the service's own URL":
        facts |= {
            "__migrate_ecs_url": failing_api.removesuffix("/api/health"),
            "__migrate_health_path": "/api/health",
            "migrate_direct_soak_requests": 2,
        }
    reset_calls(localaws)
    run = run_tasks(
        [
            {"name": "Set the step's inputs", "ansible.builtin.set_fact": facts},
            {
                "name": "Run the step",
                "ansible.builtin.include_tasks": str(ROOT / "playbooks" / "tasks" / "migrate_step.yml"),
                "vars": {"__migrate_step": 50},
            },
        ],
        allow_failure=True,
    )
    assert run.rc != 0
    (failed,) = [r for r in run.failed if r["_task"] == "Fail the migration at this step"]
    assert "back on App Runner (weights 100/0)" in failed["msg"]
    if soak == "through the name":
        assert failed["msg"].startswith("Step 50 % (ECS Express) failed: 3 of 3 requests to")
        result = run.result("Soak the API, % on ECS Express 50")
        assert (result["requests"], result["errors"], result["statuses"]) == (3, 3, {"503": 3})
    else:  # the new backend fails first, before any request through the name
        assert failed["msg"].startswith("Step 50 % (ECS Express) failed: 2 of 2 requests to")
        result = run.result("Soak the ECS Express service's own URL, % on ECS Express 50")
        assert (result["requests"], result["errors"]) == (2, 2)
    changes = [c for c in calls(localaws) if c["operation"] == "ChangeResourceRecordSets"]
    assert len(changes) == 2  # the step's 50/50, then back to 100/0
    found = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    weights = {r["SetIdentifier"]: r["Weight"] for r in found if r["Name"] == f"{DOMAIN}." and r["Type"] == "CNAME"}
    assert weights == {IDS["apprunner"]: 100, IDS["ecs_express"]: 0}


def test_app_runner_is_kept_while_cloudfront_sends_requests_to_it(localaws: str) -> None:
    """Retiring refuses while a CloudFront origin is App Runner's own URL (the cdn role's default
    without cdn_api_origin_domain): it names the distribution and the setting, and changes nothing."""
    apprunner = "abcd.us-east-1.awsapprunner.com"
    origin = {
        "Id": "api",
        "DomainName": apprunner,
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    config = {
        "CallerReference": "migrate-retire",
        "Comment": "the web UI",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "api",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",  # AWS's managed CachingDisabled
        },
    }
    distribution = boto3.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    facts = {
        "__migrate_service": {"service_url": apprunner},
        "__migrate_done": False,
        "__migrate_domain": DOMAIN,
        "__migrate_zone_id": "Z0000000000",
        "__migrate_lb": {"dns_name": "ecsx-api-1.us-east-1.elb.amazonaws.com", "zone_id": "Z35SXDOTRQ7X7K"},
        "migrate_retire_wait": 0,
    }
    reset_calls(localaws)
    run = run_tasks(
        [
            {"name": "Set the retirement's inputs", "ansible.builtin.set_fact": facts},
            {
                "name": "Retire App Runner",
                "ansible.builtin.include_tasks": str(ROOT / "playbooks" / "tasks" / "migrate_retire.yml"),
            },
        ],
        allow_failure=True,
    )
    assert run.rc != 0
    (failed,) = run.failed
    assert failed["_task"] == "Refuse to retire App Runner while a CloudFront distribution sends requests to it"
    assert f"CloudFront distribution {distribution} has App Runner's own URL ({apprunner})" in failed["msg"]
    assert f"cdn_api_origin_domain: {DOMAIN}" in failed["msg"] and "App Runner is kept" in failed["msg"]
    assert mutating(calls(localaws)) == []
