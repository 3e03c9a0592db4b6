"""roles/service with service_backend=ecs_express through playbooks/service.yml, on top of the
network tier: the Express service serves at its URL, a second run changes nothing, --check on an
empty account writes nothing, deploy.yml moves it to new builds and rollback.yml back to the previous
good one (its older code serves again), bad combinations fail before any call."""

from __future__ import annotations

import json
import shlex
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.helpers import require_in_process_endpoint
from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls
from tests.playbooks.test_deploy import SERVER as APP
from tests.playbooks.test_deploy import fakedocker, git, source  # noqa: F401 (fixtures: a git source tree, the docker stand-in)
from tests.playbooks.test_service import NAME, SECRETS
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow
ECS = {"service_backend": "ecs_express", "service_secrets": SECRETS}
DOMAIN = "api.invoice-processing.test"  # the default service_domain, api.<platform_domain>
# The stand-in API the local backend runs for the service: it answers the health path and says
# which of its variables and secrets it received (never their values).
SERVER = """import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        names = ("APP_ENV", "PORT", "JWT_SECRET", "DB_PASSWORD")
        body = json.dumps({"path": self.path, "set": [n for n in names if os.environ.get(n)],
                           "build": os.environ.get("APP_BUILD_ID", ""),
                           "db_password_length": len(os.environ.get("DB_PASSWORD", ""))}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""
# The command the local backend runs: an image pushed through the docker stand-in (it sets
# APP_BUILD_ID) runs its own code (the fixture's app/main.py, in the image's files); the image a
# new service starts from (never pushed here) runs the stand-in above.
COMMAND = f"""import os, runpy
if os.environ.get("APP_BUILD_ID"):
    runpy.run_path("app/main.py", run_name="__main__")
else:
    exec({SERVER!r})
"""


def describe() -> dict:
    ecs = boto3.client("ecs")
    (service,) = ecs.describe_services(cluster="default", services=[NAME])["services"]
    return ecs.describe_express_gateway_service(serviceArn=service["serviceArn"], include=["TAGS"])["service"]


def load_balancer() -> dict:
    """What the custom domain uses on the service's load balancer, read through its ECS service."""
    ecs, elbv2 = boto3.client("ecs"), boto3.client("elbv2")
    (service,) = ecs.describe_services(cluster="default", services=[NAME])["services"]
    target_group = service["loadBalancers"][0]["targetGroupArn"]
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"]
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"])["LoadBalancers"]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    certificates = elbv2.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
    rules = [
        r
        for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if any(DOMAIN in (c.get("HostHeaderConfig") or {}).get("Values", c.get("Values", [])) for c in r["Conditions"])
    ]
    return {
        "dns_name": balancer["DNSName"],
        "zone_id": balancer["CanonicalHostedZoneId"],
        "listener": listener["ListenerArn"],
        "target_group": target_group,
        "default_certificate": next(c["CertificateArn"] for c in certificates if c["IsDefault"]),
        "certificates": [c["CertificateArn"] for c in certificates if not c["IsDefault"]],
        "domain_rules": [[a["TargetGroupArn"] for a in r["Actions"]] for r in rules],
        "rule": rules[0]["RuleArn"] if rules else None,
    }


def alias_record() -> dict | None:
    route53 = boto3.client("route53")
    (zone,) = route53.list_hosted_zones_by_name(DNSName="invoice-processing.test")["HostedZones"][:1]
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    found = [r for r in records if r["Name"] == f"{DOMAIN}." and r["Type"] == "A"]
    return found[0]["AliasTarget"] if found else None


def get_health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def test_converge_serves_noop_check_deploy_and_absent(
    localaws: str,
    monkeypatch: pytest.MonkeyPatch,
    source: Path,  # noqa: F811
    fakedocker: Path,  # noqa: F811
) -> None:
    require_in_process_endpoint()
    monkeypatch.setenv("LOCALAWS_ECS_EXPRESS_COMMAND", shlex.join([sys.executable, "-c", COMMAND, "$PORT"]))
    boto3.client("ssm").put_parameter(Name="/invoice/local/jwt-secret", Value="x" * 40, Type="SecureString")
    password = "p" * 32
    secret_arn = boto3.client("secretsmanager").create_secret(
        Name="invoice-local-database-master", SecretString=json.dumps({"username": "invoice", "password": password})
    )["ARN"]
    network = converge("playbooks/network.yml")
    net = network.task("Publish the network outputs")["ansible_facts"]["platform_outputs_network"]
    # The certificates tier requests the API's certificate too on this backend (certificates_api_enabled).
    certificates = converge("playbooks/certificates.yml", extra_vars=ECS)
    published = certificates.task("Publish the certificate outputs")["ansible_facts"]["platform_outputs_certificates"]
    api_certificate = published["api_certificate_arn"]
    assert api_certificate.startswith("arn:aws:acm:us-east-1:")
    assert published["api_certificate_domain"] == DOMAIN  # what the service role holds against service_domain

    run = converge("playbooks/service.yml", extra_vars=ECS)
    service = describe()
    assert service["status"]["statusCode"] == "ACTIVE"
    (config,) = service["activeConfigurations"]
    container = config["primaryContainer"]
    assert container["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/invoice-local-api:")
    assert container["containerPort"] == 8000
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    # ssm:<name> as the parameter's ARN; the database secret by name, resolved to its ARN and JSON key.
    assert secrets == {
        "JWT_SECRET": "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/local/jwt-secret",
        "DB_PASSWORD": f"{secret_arn}:password::",
    }
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["PORT"] == "8000" and env["FILES_BUCKET"] == "invoice-local-files"
    assert config["healthCheckPath"] == "/api/health"
    assert (config["cpu"], config["memory"]) == ("256", "512")  # the inventory's 0.25 vCPU / 0.5 GB
    assert config["executionRoleArn"] == "arn:aws:iam::123456789012:role/invoice-local-ecs-execution"
    assert config["taskRoleArn"] == "arn:aws:iam::123456789012:role/invoice-local-ecs-task"
    assert service["infrastructureRoleArn"] == "arn:aws:iam::123456789012:role/invoice-local-ecs-infrastructure"
    # Egress through the VPC: the network tier's private subnets and egress security group.
    assert sorted(config["networkConfiguration"]["subnets"]) == sorted(net["private_subnet_ids"])
    assert config["networkConfiguration"]["securityGroups"] == [net["connector_security_group_id"]]
    scaling = config["scalingTarget"]
    assert (scaling["minTaskCount"], scaling["maxTaskCount"]) == (1, 2)
    assert (scaling["autoScalingMetric"], scaling["autoScalingTargetValue"]) == ("REQUEST_COUNT_PER_TARGET", 1000)
    tags = {t["key"]: t["value"] for t in service["tags"]}
    assert tags["Name"] == NAME
    outputs = run.task("Publish the service outputs")["ansible_facts"]["platform_outputs_service"]
    assert outputs["backend"] == "ecs_express" and outputs["service_arn"] == service["serviceArn"]
    assert outputs["status"] == "ACTIVE" and outputs["image"] == container["image"]
    # The custom domain api.<domain>: its certificate on the load balancer's HTTPS listener (beside
    # the default one ECS made), a host-header rule to the service's target group, an alias record.
    assert outputs["api_url"] == f"https://{DOMAIN}" and outputs["custom_domain"] == DOMAIN
    assert outputs["custom_domain_status"] == "attached"
    front = load_balancer()
    assert front["certificates"] == [api_certificate]
    assert front["default_certificate"] != api_certificate
    assert front["domain_rules"] == [[front["target_group"]]]
    record = alias_record()
    assert record is not None
    assert {**record, "DNSName": record["DNSName"].rstrip(".")} == {
        "DNSName": front["dns_name"].rstrip("."),
        "HostedZoneId": front["zone_id"],
        "EvaluateTargetHealth": True,
    }
    url = outputs["service_url"]
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
        assert response.status == 200
        health = json.loads(response.read())
    assert health["set"] == ["APP_ENV", "PORT", "JWT_SECRET", "DB_PASSWORD"]
    assert health["db_password_length"] == len(password)  # the JSON key's value, resolved by the endpoint
    assert password not in run.stdout

    # The cdn tier run alone finds the API origin on this backend (the Express service's ingress
    # endpoint, by ecs_express_service_info) and the local CloudFront serves /api/* from it.
    reset_calls(localaws)
    cdn = converge("playbooks/cdn.yml", extra_vars={**ECS, "cdn_frontend_upload": False, "cdn_aliases": []})
    assert cdn.task("Settle the API origin")["ansible_facts"]["__cdn_api_domain"] == url.removeprefix("http://")
    cdn_calls = calls(localaws)
    assert "DescribeExpressGatewayService" in [c["operation"] for c in cdn_calls]
    assert [c["operation"] for c in cdn_calls if c["service"] == "apprunner"] == []  # only this backend is read
    edge = cdn.task("Read the distribution's local URL from the local endpoint")["json"]["LocalUrl"]
    assert get_health(edge)["path"] == "/api/health"

    again, log = noop_calls(localaws, "playbooks/service.yml", extra_vars=ECS)
    assert again.changed == 0, again.changed_tasks()
    assert mutating(log) == []
    assert "GetSecretValue" not in [c["operation"] for c in log]

    check = converge("playbooks/service.yml", check=True, diff=True, extra_vars=ECS)
    assert check.changed == 0, check.changed_tasks()

    # The worker tier reads the API's image, environment and secrets from this backend (a plan: no write).
    reset_calls(localaws)
    worker = converge("playbooks/worker.yml", check=True, extra_vars=ECS)
    runs_with = worker.task("Remember what the worker runs with")["ansible_facts"]
    assert runs_with["__worker_image"] == container["image"]
    assert runs_with["__worker_environment"]["FILES_BUCKET"] == "invoice-local-files"
    assert runs_with["__worker_secret_refs"]["DB_PASSWORD"] == f"{secret_arn}:password::"
    assert mutating(calls(localaws)) == []

    # deploy.yml builds and pushes a new image and moves the service to it (an ECS canary), then smoke-tests it.
    deploy = {**ECS, "deploy_context": str(source), "deploy_smoke_delay": 1}
    deployed = converge("playbooks/deploy.yml", extra_vars=deploy)
    release = deployed.task("Publish the deploy outputs")["ansible_facts"]["platform_outputs_deploy"]
    tag = release["version"]
    assert "invoice.platform.deploy : Point the ECS Express service at the new image and wait for the deployment" in (
        deployed.changed_tasks()
    )
    assert describe()["activeConfigurations"][-1]["primaryContainer"]["image"] == release["image_uri"]
    assert release["service_status"] == "ACTIVE" and release["service_url"] == url
    assert get_health(url) == {"build": tag, "code": "v1"}  # the same URL serves the new build's code

    # A second release, then rollback.yml: back to the release before it (no build), smoke-tested,
    # and the older code serves again on the same URL.
    (source / "app" / "main.py").write_text(APP.format(mode="ok", code="v2"))
    git(source, "commit", "-qam", "v2")
    second = converge("playbooks/deploy.yml", extra_vars=deploy)
    tag2 = second.task("Publish the deploy outputs")["ansible_facts"]["platform_outputs_deploy"]["version"]
    assert tag2 != tag and get_health(url) == {"build": tag2, "code": "v2"}
    back = converge("playbooks/rollback.yml", extra_vars={**ECS, "deploy_smoke_delay": 1})
    assert "invoice.platform.deploy : Point the ECS Express service at the new image and wait for the deployment" in (
        back.changed_tasks()
    )
    assert get_health(url) == {"build": tag, "code": "v1"}
    assert describe()["activeConfigurations"][-1]["primaryContainer"]["image"] == release["image_uri"]
    history = json.loads(boto3.client("ssm").get_parameter(Name="/invoice/local/deploy/history")["Parameter"]["Value"])
    assert [(h["version"], h["action"], h["result"]) for h in history[:3]] == [
        (tag, "rollback", "succeeded"),
        (tag2, "deploy", "succeeded"),
        (tag, "deploy", "succeeded"),
    ]
    builds = (fakedocker / "calls.log").read_text().splitlines()
    assert [json.loads(line)["argv"][0] for line in builds] == ["login", "build", "push"] * 2, "no build for a rollback"
    # The service tier keeps the deployed image (keep_deployed_image): no AWS change, only the
    # outputs file takes the new image.
    again, log = noop_calls(localaws, "playbooks/service.yml", extra_vars=ECS)
    assert again.changed_tasks() == ["Write the outputs file"] and mutating(log) == []
    assert describe()["activeConfigurations"][-1]["primaryContainer"]["image"] == release["image_uri"]

    # Drift on the load balancer (someone took the certificate off and deleted the rule): the plan
    # shows the domain task changing with its diff and writes nothing.
    elbv2 = boto3.client("elbv2")
    elbv2.remove_listener_certificates(
        ListenerArn=front["listener"], Certificates=[{"CertificateArn": api_certificate}]
    )
    elbv2.delete_rule(RuleArn=front["rule"])
    plan, log = noop_calls(localaws, "playbooks/service.yml", check=True, diff=True, extra_vars=ECS)
    domain_task = "invoice.platform.service : Serve the custom domain on the service's load balancer"
    assert plan.changed_tasks() == [domain_task], plan.changed_tasks()
    diff = plan.task(domain_task)["diff"]
    assert diff["before"] == {"certificate_attached": False, "forward_to": None}
    assert diff["after"] == {"certificate_attached": True, "forward_to": front["target_group"]}
    assert mutating(log) == []

    # One value changes: the diff names it, the service is updated (a canary deployment).
    reset_calls(localaws)
    bigger = converge("playbooks/service.yml", diff=True, extra_vars={**ECS, "service_max_size": 3})
    assert "invoice.platform.service : Converge the ECS Express service" in bigger.changed_tasks()
    assert domain_task in bigger.changed_tasks()  # the drifted domain comes back with the same run
    restored = load_balancer()
    assert restored["certificates"] == [api_certificate] and restored["domain_rules"] == [[front["target_group"]]]
    assert describe()["activeConfigurations"][-1]["scalingTarget"]["maxTaskCount"] == 3
    assert "UpdateExpressGatewayService" in [c["operation"] for c in calls(localaws)]

    reset_calls(localaws)
    gone = converge("playbooks/service.yml", extra_vars={**ECS, "service_state": "absent"})
    assert "invoice.platform.service : Delete the ECS Express service" in gone.changed_tasks()
    # the domain's rule and SNI certificate come off the listener first (ours, not ECS's to clean up)
    taken_off = gone.task("invoice.platform.service : Take the custom domain off the service's load balancer")
    assert taken_off["changed"] and taken_off["rule_arn"] == ""
    operations = [c["operation"] for c in calls(localaws) if c["mutating"]]
    deleted = operations.index("DeleteExpressGatewayService")
    assert operations.index("RemoveListenerCertificates") < deleted and operations.index("DeleteRule") < deleted
    removed = [c for c in calls(localaws) if c["operation"] == "RemoveListenerCertificates"]
    assert len(removed) == 1
    assert describe()["status"]["statusCode"] == "INACTIVE"
    assert alias_record() is None  # the alias record went before the service (and its load balancer)
    again = converge("playbooks/service.yml", extra_vars={**ECS, "service_state": "absent"})
    assert again.changed == 0, again.changed_tasks()


def test_check_on_empty_account_creates_nothing(localaws: str) -> None:
    run = converge("playbooks/service.yml", check=True, diff=True, extra_vars=ECS)
    assert "invoice.platform.service : Converge the ECS Express service" in run.changed_tasks()
    outputs = run.task("Publish the service outputs")["ansible_facts"]["platform_outputs_service"]
    assert (outputs["api_url"], outputs["custom_domain_status"]) == (f"https://{DOMAIN}", "(to be attached)")
    assert boto3.client("ecs").list_clusters()["clusterArns"] == []
    assert mutating(calls(localaws)) == []


def test_custom_domain_without_its_certificate_fails_before_the_service_changes(localaws: str) -> None:
    # No certificates tier ran: the run stops naming the missing certificate, before any ECS or
    # load balancer call that writes (only the dns role's zone was converged).
    # A certificate published for another name (certificates_api_domain is not service_domain, as
    # site.yml would publish it) is not attached: the run still stops, saying whose it is.
    other = {
        "api_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0ther",
        "api_certificate_domain": "api.other.test",
    }
    reset_calls(localaws)
    run = run_playbook(
        "playbooks/service.yml", extra_vars={**ECS, "service_egress": "default", "platform_outputs_certificates": other}
    )
    assert run.rc != 0
    assert any(f"No issued certificate for {DOMAIN} (service_domain) in us-east-1" in m for m in run.failure_messages())
    assert "playbooks/certificates.yml" in " ".join(run.failure_messages())
    assert (
        f"the one this run published is for api.other.test, certificates_api_domain, which does not cover {DOMAIN}"
        in " ".join(run.failure_messages())
    )
    assert [c for c in mutating(calls(localaws)) if not c.startswith("route53.")] == []
    assert boto3.client("ecs").list_clusters()["clusterArns"] == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"service_domain": "api.elsewhere.test"}, "is outside the zone service_zone_name"),
        ({"service_cpu": "0.25", "service_memory": "4"}, "(Fargate allows 0.5, 1, 2 GB)"),
        ({"service_ecs_scaling_metric": "AVERAGE_CPU", "service_ecs_scaling_target": 150}, "must be a percentage"),
    ],
)
def test_bad_input_fails_before_any_call(localaws: str, extra: dict, expected: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/service.yml", extra_vars={**ECS, **extra})
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["service"] not in ("sts", "iam")] == []  # preflight only
